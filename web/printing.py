"""A printout as an HTTP answer: rendered in a worker thread under the organisation's
branding, shown inline (the browser's PDF viewer prints it), never cached."""

from __future__ import annotations

import anyio
from litestar import Response

from core.printouts import Printout, branding_of


async def pdf_response(printout: Printout, org_id: int) -> Response[bytes]:
    """The PDF of ``printout`` for organisation ``org_id`` (``Content-Disposition:
    inline`` with the printout's file name; WeasyPrint runs off the event loop)."""
    branding = await branding_of(org_id)
    pdf = await anyio.to_thread.run_sync(printout.render, branding)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="{printout.filename}"',
            "Cache-Control": "private, no-store",
        },
    )
