"""Content storage: a stable item per slug and its immutable versions.

One versioning mechanism serves exercises, courses and resources alike: a changed file or an editor's
publish adds a ContentVersion and moves ``published_version``; a published version is never updated.
"""

from piccolo.columns import JSONB, ForeignKey, Integer, Timestamptz, Varchar
from piccolo.table import Table


class ContentItem(Table, tablename="content_item"):
    kind = Varchar(length=20, index=True)  # exercise | course | resource
    slug = Varchar(length=60, unique=True)  # unique across kinds: URLs and events name it alone
    # The id of the published ContentVersion (a plain integer to avoid a foreign-key cycle).
    published_version = Integer(null=True, default=None)
    created_at = Timestamptz()


class ContentVersion(Table, tablename="content_version"):
    item = ForeignKey(references=ContentItem, index=True)
    number = Integer()
    data = JSONB()  # the validated document, both languages (see server/content/schemas.py)
    source_hash = Varchar(length=64)
    created_at = Timestamptz()
    published_at = Timestamptz(null=True, default=None)
    created_by = Varchar(length=100, default="import")
