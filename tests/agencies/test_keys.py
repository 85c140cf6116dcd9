from app.agencies.keys import demo_api_key, generate_api_key, key_matches, key_prefix


def test_every_generated_key_is_identified_by_its_prefix() -> None:
    # token_urlsafe secrets contain "_" and "-" at random: many draws catch parsing slips.
    for _ in range(2000):
        key = generate_api_key()
        assert key_prefix(key.secret) == key.prefix
        assert key_matches(key.secret, key.key_hash)


def test_demo_keys_are_stable_and_distinct() -> None:
    assert demo_api_key("phusa-bank") == demo_api_key("phusa-bank")
    assert demo_api_key("phusa-bank").secret != demo_api_key("saomai-telecom").secret
    assert key_prefix(demo_api_key("phusa-bank").secret) == demo_api_key("phusa-bank").prefix


def test_malformed_keys_have_no_prefix() -> None:
    for text in ["", "prk", "prk_", "prk_1234567_x", "abc_12345678_x", "prk_12345678_"]:
        assert key_prefix(text) is None


def test_a_different_secret_does_not_match() -> None:
    key = generate_api_key()
    assert not key_matches(key.secret + "x", key.key_hash)
