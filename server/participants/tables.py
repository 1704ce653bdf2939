"""Where people come from and who they are to us: sites, units, course groups, invite codes, participants.

A participant is pseudonymous by construction: a random id and the few facts the follow-up needs.
There is no column for a name, e-mail, phone number, CPR number or birth date, and there must never be.
"""

from piccolo.columns import UUID, Boolean, Date, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.table import Table

from server.lib.disclosure import new_record_key


class Site(Table, tablename="site"):
    slug = Varchar(length=60, unique=True)
    name = Varchar(length=120)
    kind = Varchar(length=20, default="clinic")  # hospital | clinic
    municipality_code = Varchar(length=4, null=True, default=None)
    checkin_every_days = Integer(default=14)  # how often the wellbeing check-in (WHO-5) is offered
    # The site's own numbers, kept by its coordinator and shown as call buttons on its patients' support page:
    # the ward she calls when something is wrong, the outpatient clinic for everything else. A switchboard
    # number, never a person's.
    ward_phone = Varchar(length=20, null=True, default=None)
    clinic_phone = Varchar(length=20, null=True, default=None)
    created_at = Timestamptz()
    # Whether its patients may invite a partner from Settings. Off until the site's coordinator (or an admin)
    # switches it on: the clinic cares for women living with violence, and a link sent from her phone is a
    # safety question for the clinic to decide (README, for the clinic's safety review).
    partners_enabled = Boolean(default=False)


class Unit(Table, tablename="unit"):
    site = ForeignKey(references=Site, index=True)
    slug = Varchar(length=60, unique=True)
    name = Varchar(length=120)
    created_at = Timestamptz()


class CourseGroup(Table, tablename="course_group"):
    site = ForeignKey(references=Site, index=True)
    slug = Varchar(length=60, unique=True)
    name = Varchar(length=120)
    course_slug = Varchar(length=60)
    starts_on = Date()
    created_at = Timestamptz()


class InviteCode(Table, tablename="invite_code"):
    # A copy of the database alone does not hand out working invite links: the code is found by its hash,
    # and kept only encrypted (AES-GCM under a key derived from SECRET_KEY), so that the coordinators of its
    # site can print its sheet again; codes made before that was kept have no sealed copy (None).
    code_hash = Varchar(length=64, unique=True)
    code_sealed = Text(null=True, default=None)
    kind = Varchar(length=10)  # patient | staff
    site = ForeignKey(references=Site, index=True)
    unit = ForeignKey(references=Unit, null=True, default=None)
    course_group = ForeignKey(references=CourseGroup, null=True, default=None)
    label = Varchar(length=120, default="")
    expires_at = Timestamptz(null=True, default=None)
    max_uses = Integer(null=True, default=None)
    uses = Integer(default=0)
    revoked_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz()


class PartnerInvite(Table, tablename="partner_invite"):
    """A patient's single-use link for her partner, while it is unused.

    It says where the partner will belong (her site and course group) and, as a keyed hash of her id, whose
    link it is, so that she alone can see that it is open and take it back. It is deleted when the partner
    joins (and when she revokes it or makes a new one): nothing is left that ties the partner to her.
    Like invite codes, the code is found by its hash; the code itself is never stored.
    """

    code_hash = Varchar(length=64, unique=True)
    inviter = Varchar(length=64, index=True)  # keyed hash of her participant id, never the id itself
    site = ForeignKey(references=Site, index=True)
    course_group = ForeignKey(references=CourseGroup, null=True, default=None)
    expires_at = Timestamptz()
    created_at = Timestamptz()


class Participant(Table, tablename="participant"):
    id = UUID(primary_key=True)
    kind = Varchar(length=10)  # patient | staff | partner (a partner: never linked to the one who invited)
    site = ForeignKey(references=Site, index=True)
    unit = ForeignKey(references=Unit, null=True, default=None)
    course_group = ForeignKey(references=CourseGroup, null=True, default=None)
    invite_code = ForeignKey(references=InviteCode, null=True, default=None)
    language = Varchar(length=2, default="da")
    municipality_code = Varchar(length=4, null=True, default=None)
    consent_version = Varchar(length=20)
    consented_at = Timestamptz()
    created_at = Timestamptz()
    withdrawn_at = Timestamptz(null=True, default=None)
    withdrawal = Varchar(length=10, null=True, default=None)  # keep | delete: whether her records stay in reports
    # When an attribute the report rollups copy (her municipality) last changed: the next refresh rebuilds her
    # rows, so the reports learn of it without this domain knowing that they exist.
    changed_at = Timestamptz(null=True, default=None, index=True)
    # Drawn once, at random, for the follow-up's protected figures (``server.lib.disclosure``): never derived
    # from a secret, so a key rotation changes no published figure.
    record_key = Integer(default=new_record_key)
