"""The network's codes in words."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

KIND_LABELS = {
    "municipality": _l("Municipalidad"),
    "council": _l("Consejo regional de la sociedad civil"),
    "organisation": _l("Organización de la sociedad civil"),
}
MEMBER_STATUS_LABELS = {"pilot": _l("Piloto"), "member": _l("Miembro"), "left": _l("Se retiró")}
PILLAR_LABELS = {
    "transparency": _l("Transparencia"),
    "accountability": _l("Rendición de cuentas"),
    "participation": _l("Participación ciudadana"),
}
PRACTICE_STATUS_LABELS = {
    "submitted": _l("En revisión"),
    "published": _l("Publicada"),
    "refused": _l("No publicada"),
}
VERDICT_LABELS = {"approved": _l("Aprobado"), "rejected": _l("Rechazado"), "no_quorum": _l("Sin quórum")}
MESSAGES = {
    "forbidden": _l("No tiene permiso para hacer esto."),
    "bad_member": _l("Elija el tipo de miembro y su estado."),
    "comuna_required": _l("Elija la comuna de la municipalidad."),
    "already_member": _l("Ya es miembro de la red."),
    "name_length": _l("Escriba un nombre de entre 3 y 200 caracteres."),
    "bad_transition": _l("Ese cambio de estado no es posible."),
    "unknown_account": _l("No hay una cuenta con ese correo: la persona debe crear su cuenta primero."),
    "not_liaison": _l("Usted no es enlace de ese miembro de la red."),
    "title_length": _l("Escriba un título de hasta 150 caracteres."),
    "bad_pillar": _l("Elija un pilar."),
    "summary_length": _l("El resumen debe tener entre 20 y 4000 caracteres."),
    "results_length": _l("Los resultados deben tener entre 20 y 4000 caracteres."),
    "replicate_length": _l("«Cómo replicarla» debe tener entre 20 y 4000 caracteres."),
    "already_reviewed": _l("Esta práctica ya fue revisada."),
    "bad_decision": _l("Elija publicar o no publicar."),
    "reason_required": _l("Para no publicarla, escriba el motivo: lo leerá quien la envió."),
    "not_a_member": _l("Solo un miembro vigente de la red puede marcarla como replicada."),
    "not_published": _l("Solo una práctica publicada se puede replicar."),
    "own_practice": _l("Un miembro no marca como replicada su propia práctica."),
    "note_length": _l("Escriba una nota de entre 3 y 1000 caracteres."),
    "already_replicated": _l("Ese miembro ya la marcó como replicada."),
    "too_many_documents": _l("Una práctica tiene a lo más 5 documentos."),
    "document_too_large": _l("El archivo supera los 20 MB."),
    "document_unavailable": _l(
        "No pudimos guardar el archivo por un problema de nuestro servidor. No se guardó ningún cambio: "
        "inténtelo de nuevo en unos minutos."
    ),
    "document_empty": _l("El archivo está vacío."),
    "document_type": _l("El archivo debe ser PDF, JPG o PNG."),
    "bad_kind": _l("Elija formación o intercambio."),
    "somewhere": _l("Escriba el lugar, el enlace para conectarse, o ambos."),
    "bad_link": _l("El enlace debe comenzar con https:// o http://."),
    "agenda_length": _l("El programa debe tener entre 20 y 4000 caracteres."),
    "already_started": _l("El encuentro ya comenzó: las inscripciones están cerradas."),
    "already_registered": _l("Ese miembro ya está inscrito."),
    "not_started": _l("El encuentro aún no comienza."),
    "minutes_length": _l("El acta debe tener entre 20 y 4000 caracteres."),
}
MEETING_KIND_LABELS = {"training": _l("Formación"), "exchange": _l("Intercambio")}
