from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms.fields import SelectChoice

from participa.accounts import operations as ops
from participa.accounts.labels import ROLE_LABELS
from participa.accounts.models import User
from participa.accounts.rules import Role
from participa.admin.forms import AssignRoleForm, RevokeRoleForm, UserSearchForm
from participa.core import db
from participa.core.security import acting_user, role_required
from participa.territory.operations import list_comunas

MESSAGES = {
    "role_unknown": _l("Ese rol no existe."),
    "comuna_required": _l("Un funcionario municipal debe tener una comuna: elíjala."),
    "role_already_held": _l("La persona ya tiene ese rol."),
    "role_not_held": _l("La persona no tiene ese rol."),
    "cannot_revoke_own_admin": _l("No puede quitarse a sí mismo el rol de administrador."),
}


@role_required(Role.ADMIN)
def list_users():
    form = UserSearchForm(request.args)
    users = ops.list_users(db.session(), actor=acting_user(), search=form.q.data or "")
    return render_template("admin/users.html", users=users, form=form, role_labels=ROLE_LABELS)


def _role_form() -> AssignRoleForm:
    form = AssignRoleForm()
    form.comuna.choices = [SelectChoice("", _("— Ninguna —"))] + [
        SelectChoice(str(c.cut), c.name) for c in list_comunas(db.session())
    ]
    return form


@role_required(Role.ADMIN)
def show_user(user_id: int):
    user = db.session.get(User, user_id) or abort(404)
    return render_template(
        "admin/user.html", user=user, form=_role_form(), revoke_form=RevokeRoleForm(), role_labels=ROLE_LABELS
    )


@role_required(Role.ADMIN)
def assign_role(user_id: int):
    user = db.session.get(User, user_id) or abort(404)
    form = _role_form()
    if form.validate_on_submit():
        try:
            ops.assign_role(
                db.session(), actor=acting_user(), user=user, role=form.role.data, comuna_cut=form.comuna.data
            )
        except ops.AccountError as error:
            db.session.rollback()
            field = form.comuna if error.code == "comuna_required" else form.role
            field.errors = [*field.errors, str(MESSAGES[error.code])]
        else:
            db.session.commit()
            flash(_("Rol asignado: %(role)s.", role=ROLE_LABELS[Role(form.role.data)]), "success")
            return redirect(url_for("admin.show_user", user_id=user.id))
    db.session.refresh(user)
    return render_template(
        "admin/user.html", user=user, form=form, revoke_form=RevokeRoleForm(), role_labels=ROLE_LABELS
    ), 400


@role_required(Role.ADMIN)
def revoke_role(user_id: int):
    user = db.session.get(User, user_id) or abort(404)
    form = RevokeRoleForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        ops.revoke_role(db.session(), actor=acting_user(), user=user, role=form.role.data)
    except ops.AccountError as error:
        db.session.rollback()
        flash(str(MESSAGES[error.code]), "error")
        return redirect(url_for("admin.show_user", user_id=user.id))
    db.session.commit()
    flash(_("Rol quitado."), "success")
    return redirect(url_for("admin.show_user", user_id=user.id))
