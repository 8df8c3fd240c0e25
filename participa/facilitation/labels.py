"""What in-person sessions' codes mean, in the reader's language, and the tablet app's words."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

STATE_LABELS = {
    "planned": _l("Programada"),
    "open": _l("Abierta en una tableta"),
    "revoked": _l("Tableta revocada"),
    "closed": _l("Cerrada, con acta"),
}

REASON_LABELS = {
    # A synced vote the cast rules refused (the same rules as online).
    "closed": _l("la votación no estaba abierta"),
    "not_on_roll": _l("la organización no está en el padrón que atiende la sesión"),
    "not_authorised": _l("la persona no representaba a la organización en ese momento"),
    "incomplete": _l("faltaban respuestas"),
    "bad_choice": _l("una respuesta no era válida"),
    "in_person_recorded": _l("la organización ya había votado en forma presencial"),
    "already_voted": _l("la organización ya había votado y en esta consulta el voto no se cambia"),
    "conflict": _l("el mismo voto llegó otra vez con un contenido distinto"),
    "retry": _l("otro voto de la organización llegó al mismo tiempo: se reintenta"),
    "malformed": _l("los datos enviados no tienen el formato esperado"),
    "bad_uuid": _l("el identificador del voto no es válido"),
    # The session as a whole.
    "bad_token": _l("la tableta no tiene una credencial válida para esta sesión"),
    "revoked": _l("la credencial de esta tableta fue revocada"),
    "not_open": _l("la sesión no está abierta"),
    "too_late": _l("pasó el plazo para sincronizar esta sesión"),
    "forbidden": _l("la sesión está asignada a otra persona"),
    "already_open": _l("la sesión ya está abierta en otra tableta"),
    "too_early": _l("todavía es muy pronto para abrir esta sesión"),
    "over": _l("la sesión ya terminó"),
    "not_voting": _l("la consulta no está en votación"),
}


def strings_for_the_app() -> dict[str, str]:
    """The tablet app's words, translated on the server and handed to its JavaScript."""
    words = {
        "choices.approve": _l("Aprobar"),
        "choices.reject": _l("Rechazar"),
        "choices.abstain": _l("Abstenerse"),
        "online": _l("Con conexión"),
        "offline": _l("Sin conexión: los votos se guardan en esta tableta"),
        "pending": _l("Votos y registros por sincronizar: %(n)s"),
        "synced": _l("Todo está sincronizado."),
        "sync_failed": _l("No se pudo sincronizar. Se reintentará solo cuando vuelva la conexión."),
        "sign_in": _l("Ingrese con su cuenta para ver sus sesiones."),
        "sign_in_link": _l("Ingresar"),
        "no_sessions": _l("No tiene sesiones asignadas."),
        "open": _l("Abrir en esta tableta"),
        "opened": _l("Sesión abierta en esta tableta."),
        "rut_invalid": _l("El RUT no es válido: revise el dígito verificador."),
        "rut_unknown": _l("Ese RUT no representa a ninguna organización atendida por esta sesión."),
        "weight": _l("Peso"),
        "voted_here": _l("ya votó en esta sesión"),
        "answer_all": _l("Responda todas las preguntas."),
        "receipt": _l("Comprobante de la organización"),
        "receipt_hint": _l(
            "Anote este código: con él la organización puede verificar en la web que su voto fue contado. "
            "No se vuelve a mostrar."
        ),
        "refused": _l("No se registró (%(reason)s)"),
        "close_done": _l("Acta firmada. Puede ver e imprimir el acta."),
        "close_pending": _l("Sincronice antes de cerrar: quedan %(n)s pendientes."),
        "close_sign_in": _l("Para firmar el acta, ingrese con su cuenta (con conexión) y vuelva aquí."),
        "revoked": _l("La credencial de esta tableta fue revocada: no puede sincronizar. Avise a la gestora o gestor."),
    }
    words.update({f"reason.{code}": label for code, label in REASON_LABELS.items()})
    return {key: str(value) for key, value in words.items()}
