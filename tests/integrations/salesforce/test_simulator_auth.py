"""Logging in to the simulator and session handling, through simple-salesforce."""

from __future__ import annotations

import pytest
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import (
    SalesforceAuthenticationFailed,
    SalesforceExpiredSession,
)

from integrations.salesforce.simulator.testing import SimulatorHarness, running_simulator


def soap_logins(sim: SimulatorHarness) -> int:
    return sum(1 for entry in sim.request_log if entry["path"].startswith("/services/Soap/u/"))


def test_soap_login_with_password_and_token_gives_a_working_client(sf_sim: SimulatorHarness):
    sf = sf_sim.salesforce(auth="password")

    assert sf.sf_instance == sf_sim.instance
    assert sf.query("SELECT Id FROM Account")["totalSize"] == 0
    assert soap_logins(sf_sim) == 1


def test_soap_login_with_wrong_password_raises_authentication_failed(sf_sim: SimulatorHarness):
    creds = sf_sim.credentials

    with pytest.raises(SalesforceAuthenticationFailed) as err:
        Salesforce(
            username=creds.username,
            password="not-the-password",
            security_token=creds.security_token,
            session=sf_sim.session,
        )

    assert err.value.code == "INVALID_LOGIN"


def test_salesforce_login_with_scratch_url_feeds_a_direct_client(sf_sim: SimulatorHarness):
    session_id, instance = sf_sim.login()

    sf = Salesforce(session_id=session_id, instance=instance, session=sf_sim.session)

    assert instance == sf_sim.instance
    assert sf.query("SELECT Id FROM User")["totalSize"] == 1


def test_expired_session_raises_expired_session(sf_sim: SimulatorHarness, sf: Salesforce):
    sf.query("SELECT Id FROM Account")
    sf_sim.expire_sessions()

    with pytest.raises(SalesforceExpiredSession) as err:
        sf.query("SELECT Id FROM Account")

    assert err.value.status == 401
    assert err.value.content[0]["errorCode"] == "INVALID_SESSION_ID"


def test_unknown_session_id_is_rejected(sf_sim: SimulatorHarness):
    sf = Salesforce(
        instance_url=sf_sim.url, session_id="00D000000000000!bogus", session=sf_sim.session
    )

    with pytest.raises(SalesforceExpiredSession):
        sf.query("SELECT Id FROM Account")


def test_password_client_logs_in_again_when_its_session_expires(sf_sim: SimulatorHarness):
    sf = sf_sim.salesforce(auth="password")
    sf_sim.expire_sessions()

    result = sf.query("SELECT Id FROM Account")

    assert result["totalSize"] == 0
    assert soap_logins(sf_sim) == 2


def test_plain_http_mode_is_reached_through_the_scheme_rewriting_session():
    with running_simulator(tls=False) as sim:
        assert sim.url.startswith("http://")
        sf_password = sim.salesforce(auth="password")
        sf_session = sim.salesforce()

        assert sf_password.query("SELECT Id FROM User")["totalSize"] == 1
        assert sf_session.query("SELECT Id FROM User")["totalSize"] == 1
