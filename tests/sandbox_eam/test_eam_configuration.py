"""The EAM connection follows the same rules as the PLM and ERP: no silent sandbox fallback for a real EAM."""

import pytest

from resources.connection_rules import ConfigurationError
from resources.eam import EAMResource


@pytest.fixture
def real_eam(monkeypatch):
    monkeypatch.delenv("MFG_SYNC_PROFILE", raising=False)
    for var in (
        "MFG_SYNC_EAM_URL",
        "MFG_SYNC_EAM_APIKEY",
        "MFG_SYNC_EAM_USER",
        "MFG_SYNC_EAM_PASSWORD",
        "MFG_SYNC_EAM_AUTH",
        "MFG_SYNC_EAM_SITEID",
    ):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("MFG_SYNC_EAM_URL", "https://maximo.example.invalid")
    return monkeypatch


def test_a_real_eam_without_its_apikey_fails_before_any_request_naming_the_variable(real_eam):
    with pytest.raises(ConfigurationError, match="MFG_SYNC_EAM_APIKEY is not set"):
        EAMResource.from_env().client()


def test_the_sandbox_apikey_is_refused_for_a_real_eam(real_eam):
    real_eam.setenv("MFG_SYNC_EAM_APIKEY", "sandbox-eam-apikey")
    with pytest.raises(ConfigurationError, match="MFG_SYNC_EAM_APIKEY holds the sandbox's published value"):
        EAMResource.from_env().client()


def test_maxauth_needs_user_and_password(real_eam):
    real_eam.setenv("MFG_SYNC_EAM_AUTH", "maxauth")
    with pytest.raises(ConfigurationError, match="MFG_SYNC_EAM_PASSWORD is not set"):
        EAMResource.from_env().client()


def test_the_sandbox_profile_fills_the_eam_connection(monkeypatch):
    monkeypatch.setenv("MFG_SYNC_PROFILE", "sandbox")
    for var in ("MFG_SYNC_EAM_URL", "MFG_SYNC_EAM_APIKEY"):
        monkeypatch.delenv(var, raising=False)
    EAMResource.from_env().check_configuration()  # nothing missing, the loopback sandbox may take its key
