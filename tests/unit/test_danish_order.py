"""Labels sorted as a Danish reader expects: æ, ø, å after z (in that order), case and accents ignored."""

from server.lib.text import sort_key


def test_it_puts_ae_oe_aa_after_z_in_that_order():
    labels = ["Åndedræt", "Ønske", "Ængstelse", "Zone", "Amning", "angst"]
    assert sorted(labels, key=sort_key) == ["Amning", "angst", "Zone", "Ængstelse", "Ønske", "Åndedræt"]


def test_it_reads_an_accented_letter_as_its_plain_one():
    assert sorted(["Ende", "Én gang", "Egen"], key=sort_key) == ["Egen", "Én gang", "Ende"]


def test_it_compares_letters_after_the_first_the_same_way():
    assert sorted(["Søvn", "Stress", "Fødslen", "Fodfæste"], key=sort_key) == ["Fodfæste", "Fødslen", "Stress", "Søvn"]
