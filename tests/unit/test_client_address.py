"""The client's address behind a proxy: X-Forwarded-For is believed only from TRUSTED_PROXIES."""

from __future__ import annotations

import ipaddress

import pytest

from server.lib.clients import UNKNOWN, address_from, parse_address
from server.settings import SettingsError, load_settings

NGINX = (ipaddress.ip_network("127.0.0.1/32"),)
TWO_HOPS = (ipaddress.ip_network("127.0.0.1/32"), ipaddress.ip_network("10.0.0.0/8"))


def test_it_ignores_a_forwarded_header_when_no_proxy_is_trusted():
    assert address_from("203.0.113.9", ["198.51.100.1"], ()) == "203.0.113.9"


def test_it_ignores_a_spoofed_header_from_a_peer_that_is_not_a_trusted_proxy():
    assert address_from("203.0.113.9", ["198.51.100.1"], NGINX) == "203.0.113.9"


def test_it_believes_the_header_from_a_trusted_proxy():
    assert address_from("127.0.0.1", ["198.51.100.1"], NGINX) == "198.51.100.1"


def test_it_takes_the_right_most_address_so_a_client_cannot_prepend_one():
    # nginx's $proxy_add_x_forwarded_for appends the real peer to whatever the client sent.
    assert address_from("127.0.0.1", ["6.6.6.6, 7.7.7.7, 198.51.100.1"], NGINX) == "198.51.100.1"


def test_it_skips_every_trusted_proxy_in_a_chain():
    assert address_from("127.0.0.1", ["6.6.6.6, 198.51.100.1, 10.1.2.3"], TWO_HOPS) == "198.51.100.1"
    # Several headers are one list, in the order received.
    assert address_from("127.0.0.1", ["6.6.6.6, 198.51.100.1", "10.1.2.3"], TWO_HOPS) == "198.51.100.1"


def test_it_keeps_the_proxy_when_the_header_is_missing_or_only_proxies():
    assert address_from("127.0.0.1", [], NGINX) == "127.0.0.1"
    assert address_from("127.0.0.1", ["10.9.9.9"], TWO_HOPS) == "10.9.9.9"


@pytest.mark.parametrize("header", ["", " ", ",,,", "not-an-address", "999.1.1.1", "1.2.3.4.5", "[::1",
                                    "\x00", "unknown", "_hidden", "1.2.3.4:notaport:x", "é" * 10_000,
                                    ", ".join(["10.0.0.1"] * 5_000)])
def test_a_malformed_header_never_raises_and_never_names_an_address_it_made_up(header):
    got = address_from("127.0.0.1", [header], TWO_HOPS)
    assert got in ("127.0.0.1", "10.0.0.1")


def test_garbage_left_of_the_real_client_does_not_matter():
    assert address_from("127.0.0.1", ["garbage, 198.51.100.1"], NGINX) == "198.51.100.1"


def test_it_reads_ports_brackets_and_mapped_addresses():
    assert str(parse_address("198.51.100.1:4711")) == "198.51.100.1"
    assert str(parse_address("[2001:db8::1]:80")) == "2001:db8::1"
    assert str(parse_address("2001:db8::1")) == "2001:db8::1"
    assert str(parse_address("::ffff:198.51.100.1")) == "198.51.100.1"
    assert address_from("::ffff:127.0.0.1", ["198.51.100.1"], NGINX) == "198.51.100.1"


def test_a_peer_that_is_not_an_address_is_kept_as_it_is():
    assert address_from("testclient", ["198.51.100.1"], NGINX) == "testclient"
    assert address_from(None, ["198.51.100.1"], NGINX) == UNKNOWN


def test_the_setting_takes_addresses_and_networks_and_refuses_nonsense(tmp_path):
    settings = load_settings({"PUSTERUM_VAR_DIR": str(tmp_path), "TRUSTED_PROXIES": "127.0.0.1, 10.0.0.0/8,::1"})
    assert [str(n) for n in settings.trusted_proxies] == ["127.0.0.1/32", "10.0.0.0/8", "::1/128"]
    assert load_settings({"PUSTERUM_VAR_DIR": str(tmp_path)}).trusted_proxies == ()
    with pytest.raises(SettingsError, match="TRUSTED_PROXIES"):
        load_settings({"PUSTERUM_VAR_DIR": str(tmp_path), "TRUSTED_PROXIES": "localhost"})
