"""The listener's broker settings come from the environment; the password never shows."""

import pytest

from orchestration.condition_ingest import DEFAULT_TOPICS, MqttSettings, event_from_message


def test_an_mqtts_url_with_credentials_and_topics(monkeypatch):
    monkeypatch.setenv("MFG_SYNC_MQTT_URL", "mqtts://broker.plant.example")
    monkeypatch.setenv("MFG_SYNC_MQTT_USERNAME", "mfg-sync")
    monkeypatch.setenv("MFG_SYNC_MQTT_PASSWORD", "s3cret-pw")
    monkeypatch.setenv("MFG_SYNC_MQTT_TOPICS", "plant/+/asset/+/condition, site2/+/condition")
    settings = MqttSettings.from_env()
    assert (settings.host, settings.port, settings.tls) == ("broker.plant.example", 8883, True)
    assert settings.topics == ("plant/+/asset/+/condition", "site2/+/condition")
    assert "s3cret-pw" not in repr(settings)


def test_without_a_url_outside_the_sandbox_profile_it_says_what_is_missing(monkeypatch):
    monkeypatch.delenv("MFG_SYNC_MQTT_URL", raising=False)
    monkeypatch.setenv("MFG_SYNC_PROFILE", "")
    with pytest.raises(ValueError, match="MFG_SYNC_MQTT_URL is not set"):
        MqttSettings.from_env()


def test_the_sandbox_profile_uses_the_local_broker_and_the_default_topic(monkeypatch):
    monkeypatch.delenv("MFG_SYNC_MQTT_URL", raising=False)
    monkeypatch.delenv("MFG_SYNC_MQTT_TOPICS", raising=False)
    settings = MqttSettings.from_env()
    assert (settings.host, settings.port, settings.topics) == ("127.0.0.1", 1883, DEFAULT_TOPICS)


def test_a_payload_naming_another_asset_than_its_topic_is_rejected():
    body = (
        b'{"event_id": "e1", "asset": "P-102", "measurement": "vibration_velocity", "value": 9, "unit": "mm/s",'
        b' "threshold": 7.1, "timestamp": "2026-12-01T08:00:00Z"}'
    )
    event_id, _, reason = event_from_message("plant/P1000/asset/P-101/condition", body)
    assert (event_id, reason) == ("e1", "asset P-102 of the payload is not the topic's asset P-101")
