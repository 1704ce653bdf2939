"""Drafts: the editors' work in progress, one per content item, shared by every editor.

A draft may be incomplete or invalid; publishing validates it with the same code as the content/ import
and adds an immutable ContentVersion. ``revision`` grows with every save, so a save made from a page
that was loaded before someone else's save is recognised (409) instead of silently overwriting it.
"""

from piccolo.columns import JSON, ForeignKey, Integer, Timestamptz, Varchar
from piccolo.table import Table

from server.accounts.tables import Account


class ContentDraft(Table, tablename="content_draft"):
    kind = Varchar(length=20)  # exercise | course | resource
    slug = Varchar(length=60, unique=True)
    data = JSON()  # the document as the editor holds it (the shape of a published version's data)
    revision = Integer(default=1)
    base_version = Integer(null=True, default=None)  # the published version it started from, if any
    updated_at = Timestamptz()
    updated_by = ForeignKey(references=Account, null=True, default=None)
