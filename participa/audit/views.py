from __future__ import annotations

import json
from collections.abc import Iterator

from flask import Response, abort, render_template, request, stream_with_context

from participa.accounts.rules import Role
from participa.audit import operations, rules
from participa.core import db
from participa.core.security import acting_user, role_required

PAGE_SIZE = 50
BLOCKS_PAGE_SIZE = 50
BLOCKS_FORMAT = "participa-audit-blocks/1"


def public_head():
    """The current head of the log, public so that anyone can pin it (DESIGN §4, Audit)."""
    session = db.session()
    block = operations.latest_block(session)
    return render_template("audit/head.html", head=operations.head(session), block=block)


def list_blocks():
    """Every sealed block's head, newest first: whoever saved a head earlier finds it here again,
    unchanged, or sees that the log was rewritten."""
    session = db.session()
    total = operations.block_total(session)
    page = max(request.args.get("pagina", 1, type=int) or 1, 1)
    if page > 1 and (page - 1) * BLOCKS_PAGE_SIZE >= total:
        abort(404)
    blocks = operations.blocks_newest_first(
        session, up_to=total - (page - 1) * BLOCKS_PAGE_SIZE, limit=BLOCKS_PAGE_SIZE
    )
    return render_template(
        "audit/blocks.html",
        blocks=blocks,
        total=total,
        page=page,
        page_size=BLOCKS_PAGE_SIZE,
        genesis=rules.GENESIS_HASH,
        blocks_format=BLOCKS_FORMAT,
    )


def blocks_json():
    """Every sealed block, oldest first, streamed. ``?despues=N`` lists only the blocks numbered
    above N (to fetch what is new since the last download). The list ends at the newest block
    when the request arrived, so that it is one consistent prefix of the chain."""
    after = max(request.args.get("despues", 0, type=int) or 0, 0)
    session = db.session()
    up_to = operations.block_total(session)

    def chunks() -> Iterator[str]:
        header = {"format": BLOCKS_FORMAT, "genesis_hash": rules.GENESIS_HASH, "block_count": up_to}
        if after:
            header["after"] = after
        yield json.dumps(header)[:-1] + ', "blocks": ['
        for count, row in enumerate(operations.iter_blocks(db.session(), after=after, up_to=up_to)):
            yield ("," if count else "") + "\n" + json.dumps(operations.block_item(row))
        yield "\n]}\n"

    response = Response(stream_with_context(chunks()), mimetype="application/json")
    response.headers["Content-Disposition"] = 'inline; filename="auditoria-bloques.json"'
    return response


@role_required(Role.ADMIN, Role.CERTIFIER)
def list_events():
    before = request.args.get("antes", type=int)
    try:
        events = operations.recent_events(db.session(), actor=acting_user(), before=before, limit=PAGE_SIZE)
    except PermissionError:
        abort(403)
    return render_template("audit/events.html", events=events, page_size=PAGE_SIZE)
