"""``pusterum demo``'s example local offers: municipal help for the demo sites' municipality (København), so the
support page and a coordinator's "Local offers" can be tried. They are examples, said so in their own words
("Eksempel"), with no phone number anyone could dial, and they live only in the demo's database: never in
content/ (``content export`` leaves them out, by their author)."""

from __future__ import annotations

from typing import Any

from server.content.export import EXAMPLE_AUTHOR
from server.content.loader import Document
from server.content.services import import_documents
from server.content.validation import validate_resource

MUNICIPALITY = "0101"  # København: both demo sites lie there
NOTE_DA = "Eksempel til demoen, ikke et rigtigt tilbud."
NOTE_EN = "An example for the demo, not a real service."


def _offer(kind: str, order: int, name: tuple[str, str], description: tuple[str, str],
           hours: tuple[str, str] | None = None) -> dict[str, Any]:
    return {"kind": kind, "audience": ["patient", "partner"], "serves": {"municipalities": [MUNICIPALITY]},
            "order": order, "name": {"da": f"Eksempel: {name[0]}", "en": f"Example: {name[1]}"},
            "description": {"da": f"{NOTE_DA} {description[0]}", "en": f"{NOTE_EN} {description[1]}"},
            **({"hours": {"da": hours[0], "en": hours[1]}} if hours else {}), "verify": True}


EXAMPLES: dict[str, dict[str, Any]] = {
    "demo-eksempel-sundhedsplejen": _offer(
        "family", 1, ("Sundhedsplejen i Københavns Kommune", "The health visitors in Copenhagen"),
        ("En sundhedsplejerske kan besøge dig i graviditeten og kommer hjem til jer efter fødslen.",
         "A health visitor can visit you in pregnancy and comes to your home after the birth."),
        ("Hverdage kl. 8–15", "Weekdays 8 am–3 pm")),
    "demo-eksempel-familieraadgivning": _offer(
        "family", 2, ("Familierådgivningen", "Family advice"),
        ("Her kan du tale med en rådgiver om hverdagen, økonomi og at blive klar til barnet.",
         "Here you can talk with an adviser about everyday life, money and getting ready for the baby.")),
    "demo-eksempel-rusmiddelbehandling": _offer(
        "substance", 1, ("Rusmiddelcentret", "The alcohol and drug centre"),
        ("Gratis samtaler og behandling for alkohol, stoffer og medicin. Du kan selv henvende dig.",
         "Free talks and treatment for alcohol, drugs and medicine. You can get in touch yourself.")),
    "demo-eksempel-moedregruppe": _offer(
        "community", 1, ("Mødregruppe i bydelen", "A mothers' group in your neighbourhood"),
        ("Frivillige samler gravide og nybagte mødre til en kop te og en snak en gang om ugen.",
         "Volunteers bring pregnant women and new mothers together for tea and a chat once a week.")),
}


async def ensure_example_offers() -> int:
    """Publish the examples (unchanged ones are left as they are); returns how many there are."""
    documents = []
    for slug, data in EXAMPLES.items():
        resource, problems = validate_resource(slug, data)
        if resource is None:  # a programming error in the examples above: say which
            raise ValueError(f"{slug}: {'; '.join(map(str, problems))}")
        documents.append(Document(kind="resource", slug=slug, content=resource, path=f"demo:{slug}"))
    await import_documents(documents, author=EXAMPLE_AUTHOR)
    return len(documents)
