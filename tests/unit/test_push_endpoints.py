"""Where reminders may be sent: the push-service allow-list, and the sender's resolver that keeps to public
addresses (ASVS 4.0.3 5.2.6 and 12.6.1; the API's answers are in tests/integration/security)."""

from __future__ import annotations

import socket

import pytest

from server.reminders.endpoints import (
    NOT_A_PUSH_SERVICE,
    NOT_HTTPS,
    PublicAddressesOnly,
    endpoint_problem,
    known_host,
)
from server.settings import SettingsError, load_settings


@pytest.fixture
def production(settings_env):
    settings_env(PUSTERUM_ENV="production", BASE_URL="https://pusterum.hospital.dk",
                 PUSH_CONTACT="mailto:drift@hospital.dk")


@pytest.mark.parametrize(("endpoint", "problem"), [
    ("https://fcm.googleapis.com/fcm/send/x", None),
    ("https://FCM.googleapis.com/fcm/send/x", None),
    ("https://updates.push.services.mozilla.com/wpush/v2/x", None),
    ("https://web.push.apple.com/x", None),
    ("https://wns2-by3p.notify.windows.com/w/?token=x", None),
    ("https://push.apple.com/x", NOT_A_PUSH_SERVICE),  # a suffix needs a host under it
    ("https://fcm.googleapis.com./fcm/send/x", NOT_A_PUSH_SERVICE),
    ("https://fcm.googleapis.com\\@evil.net/x", NOT_A_PUSH_SERVICE),
    ("https://fcm.googleapis.com#@evil.net/x", NOT_A_PUSH_SERVICE),
    ("https://8.8.8.8/x", NOT_A_PUSH_SERVICE),
    ("https://[2001:4860::8888]/x", NOT_A_PUSH_SERVICE),
    ("https://fcm.googleapis.com:80/x", NOT_A_PUSH_SERVICE),
    ("https://fcm.googleapis.com", NOT_A_PUSH_SERVICE),
    ("http://127.0.0.1:8080/push/x", NOT_HTTPS),
    ("ftp://fcm.googleapis.com/x", NOT_HTTPS),
    ("https://fcm.googleapis.com/" + "x" * 1024, NOT_HTTPS),
])
def test_it_takes_only_https_endpoints_at_known_push_services_in_production(production, endpoint, problem):
    assert endpoint_problem(endpoint) == problem


def test_it_takes_the_local_push_double_only_outside_production(settings_env):
    assert endpoint_problem("http://127.0.0.1:8080/push/x") is None
    assert endpoint_problem("http://localhost:8080/push/x") is None
    assert endpoint_problem("http://127.0.0.1:port/push/x") == NOT_A_PUSH_SERVICE
    assert endpoint_problem("http://10.0.0.1:8080/push/x") == NOT_HTTPS
    assert endpoint_problem("https://10.0.0.1:8443/push/x") == NOT_A_PUSH_SERVICE


def test_a_suffix_takes_hosts_under_it_and_an_exact_host_only_itself():
    hosts = ("push.hospital.dk", ".example.net")
    assert known_host("push.hospital.dk", hosts) and known_host("eu.example.net", hosts)
    assert not known_host("xpush.hospital.dk", hosts) and not known_host("a.push.hospital.dk", hosts)
    assert not known_host("example.net", hosts) and not known_host("badexample.net", hosts)


@pytest.mark.parametrize("value", ["10.0.0.1", ".0.1", "com", ".com", "https://push.example.net", "push.*.net"])
def test_push_service_hosts_refuses_addresses_and_whole_top_level_domains(tmp_path, value):
    with pytest.raises(SettingsError, match="PUSH_SERVICE_HOSTS"):
        load_settings({"PUSTERUM_VAR_DIR": str(tmp_path), "PUSH_SERVICE_HOSTS": value})


def test_push_service_hosts_are_read_lower_case(tmp_path):
    settings = load_settings({"PUSTERUM_VAR_DIR": str(tmp_path),
                              "PUSH_SERVICE_HOSTS": " Push.Hospital.dk ,.eu.Push.net, *.wp.example.org"})
    assert settings.push_service_hosts == ("push.hospital.dk", ".eu.push.net", ".wp.example.org")


class _Answers:
    """A resolver that answers with fixed addresses, as a DNS server an attacker controls could."""

    def __init__(self, *addresses: str) -> None:
        self.addresses = addresses

    async def resolve(self, host, port=0, family=socket.AF_INET):
        return [{"hostname": host, "host": a, "port": port, "family": family, "proto": 0, "flags": 0}
                for a in self.addresses]

    async def close(self):
        pass


@pytest.mark.parametrize("address", ["10.0.0.1", "192.168.0.9", "169.254.169.254", "127.0.0.1", "::1", "fd00::1",
                                     "100.64.0.1", "0.0.0.0"])
async def test_the_sender_does_not_connect_to_a_push_host_that_resolves_privately(address):
    resolver = PublicAddressesOnly(loopback=False)
    resolver._inner = _Answers(address)
    with pytest.raises(OSError, match="no public address"):
        await resolver.resolve("eu.push.example.net", 443)


async def test_the_sender_keeps_the_public_addresses_of_a_push_host():
    resolver = PublicAddressesOnly(loopback=False)
    resolver._inner = _Answers("10.0.0.1", "142.250.74.10")
    assert [r["host"] for r in await resolver.resolve("fcm.googleapis.com", 443)] == ["142.250.74.10"]


async def test_loopback_is_kept_outside_production_for_the_push_double():
    resolver = PublicAddressesOnly(loopback=True)
    try:
        assert {r["host"] for r in await resolver.resolve("localhost", 8080)} <= {"127.0.0.1", "::1"}
    finally:
        await resolver.close()
