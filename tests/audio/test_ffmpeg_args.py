from __future__ import annotations

import pytest

from tests.factories import make_stream
from worker.audio.errors import SourceError
from worker.audio.ffmpeg_args import (
    EncoderSettings,
    PipelineOptions,
    PlaybackMode,
    TrackRequest,
    ffmpeg_argv,
    ffprobe_argv,
    input_args,
    proxy_form,
    redact_url,
    subprocess_env,
)

URL = "https://media.example/a.webm?sig=secret&expire=1"
NET = PipelineOptions()
PROXY = "http://127.0.0.1:4321"


def _value(argv: list[str], flag: str) -> str:
    return argv[argv.index(flag) + 1]


def test_network_input_gets_reconnect_whitelist_timeout_and_seek_before_input() -> None:
    argv = ffmpeg_argv(TrackRequest(make_stream(URL), "t", start_ms=61_500), PlaybackMode.PASSTHROUGH, None, NET)
    assert argv[:5] == ["ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error"]
    assert (_value(argv, "-threads"), _value(argv, "-filter_threads")) == ("1", "1")
    assert _value(argv, "-reconnect") == "1"
    assert _value(argv, "-reconnect_streamed") == "1"
    assert _value(argv, "-reconnect_delay_max") == "5"
    assert _value(argv, "-protocol_whitelist") == "http,https,tcp,tls,crypto"
    assert _value(argv, "-rw_timeout") == "15000000"
    assert _value(argv, "-ss") == "61.500"
    assert argv.index("-ss") < argv.index("-i")
    assert _value(argv, "-i") == URL
    assert _value(argv, "-c:a") == "copy"
    assert "-af" not in argv
    assert argv[-3:] == ["-page_duration", "200000", "pipe:1"]


def test_transcode_uses_libopus_20ms_frames_and_the_filter_graph() -> None:
    argv = ffmpeg_argv(TrackRequest(make_stream(URL), "t"), PlaybackMode.TRANSCODE, "volume=0.5", NET)
    assert "-ss" not in argv
    assert _value(argv, "-af") == "volume=0.5"
    assert _value(argv, "-c:a") == "libopus"
    assert (_value(argv, "-ar"), _value(argv, "-ac"), _value(argv, "-b:a")) == ("48000", "2", "128k")
    assert (_value(argv, "-frame_duration"), _value(argv, "-application")) == ("20", "audio")
    assert "-fec" not in argv


def test_fec_is_opt_in() -> None:
    options = PipelineOptions(encoder=EncoderSettings(fec=True, packet_loss_percent=10, complexity=5))
    argv = ffmpeg_argv(TrackRequest(make_stream(URL), "t"), PlaybackMode.TRANSCODE, None, options)
    assert (_value(argv, "-fec"), _value(argv, "-packet_loss")) == ("1", "10")
    assert _value(argv, "-compression_level") == "5"


def test_passthrough_never_takes_a_filter_graph() -> None:
    with pytest.raises(ValueError, match="passthrough"):
        ffmpeg_argv(TrackRequest(make_stream(URL), "t"), PlaybackMode.PASSTHROUGH, "volume=0.5", NET)


def test_files_are_refused_unless_allowed() -> None:
    with pytest.raises(SourceError, match="local files are not allowed"):
        ffmpeg_argv(TrackRequest(make_stream("/etc/passwd"), "t"), PlaybackMode.TRANSCODE, None, NET)
    with pytest.raises(SourceError, match="local files are not allowed"):
        ffmpeg_argv(TrackRequest(make_stream("file:///etc/passwd"), "t"), PlaybackMode.TRANSCODE, None, NET)


def test_allowed_files_use_the_file_protocol_without_reconnect_options() -> None:
    options = PipelineOptions(allow_file=True)
    argv = ffmpeg_argv(TrackRequest(make_stream("file:///tmp/a%20b.mp3"), "t"), PlaybackMode.TRANSCODE, None, options)
    assert _value(argv, "-i") == "file:/tmp/a b.mp3"
    assert _value(argv, "-protocol_whitelist") == "http,https,tcp,tls,crypto,file"
    assert "-reconnect" not in argv


@pytest.mark.parametrize("url", ["ftp://host/a.mp3", "concat:a.mp3|b.mp3", "rtmp://host/live", "https:///nohost"])
def test_other_schemes_are_refused(url: str) -> None:
    with pytest.raises(SourceError):
        ffmpeg_argv(TrackRequest(make_stream(url), "t"), PlaybackMode.TRANSCODE, None, PipelineOptions(allow_file=True))


def test_headers_are_passed_and_injection_refused() -> None:
    request = TrackRequest(make_stream(URL, headers=(("User-Agent", "encore"), ("Referer", "https://x/"))), "t")
    argv = ffmpeg_argv(request, PlaybackMode.PASSTHROUGH, None, NET)
    assert _value(argv, "-headers") == "User-Agent: encore\r\nReferer: https://x/\r\n"
    evil = TrackRequest(make_stream(URL, headers=(("X", "a\r\nHost: evil"),)), "t")
    with pytest.raises(SourceError, match="invalid HTTP header"):
        ffmpeg_argv(evil, PlaybackMode.PASSTHROUGH, None, NET)


def test_probe_uses_the_same_input_guard() -> None:
    argv = ffprobe_argv(URL, NET)
    assert argv[0] == "ffprobe"
    assert _value(argv, "-protocol_whitelist") == "http,https,tcp,tls,crypto"
    assert _value(argv, "-select_streams") == "a:0"


def test_redaction_drops_query_and_credentials() -> None:
    assert redact_url("https://user:pw@h.example:8443/p/a.webm?sig=1#x") == "https://h.example:8443/p/a.webm"


def test_a_passthrough_from_a_position_drops_what_precedes_it_after_the_container_seek() -> None:
    """Stream copy keeps the packets between the WebM cluster it seeks to and the target; an output seek drops them."""
    argv = ffmpeg_argv(TrackRequest(make_stream(URL), "t", start_ms=7_500), PlaybackMode.PASSTHROUGH, None, NET)
    seeks = [i for i, arg in enumerate(argv) if arg == "-ss"]
    assert [argv[i + 1] for i in seeks] == ["7.500", "0"]
    assert seeks[0] < argv.index("-i") < seeks[1]
    assert "-ss" not in ffmpeg_argv(TrackRequest(make_stream(URL), "t"), PlaybackMode.PASSTHROUGH, None, NET)


def test_with_the_proxy_ffmpeg_speaks_plain_http_to_it_only() -> None:
    """No https/tls (and never httpproxy): an absolute https URL FFmpeg meets on its own cannot be opened."""
    options = PipelineOptions(http_proxy=PROXY)
    argv = input_args(URL, options)
    assert _value(argv, "-http_proxy") == PROXY
    assert _value(argv, "-protocol_whitelist") == "http,tcp,crypto"
    assert _value(argv, "-max_redirects") == "0"
    assert _value(argv, "-i") == "http://media.example.https.encore-proxy/a.webm?sig=secret&expire=1"
    assert _value(input_args("http://m.example:8080/a.mp3", options), "-i") == "http://m.example:8080/a.mp3"
    assert "-http_proxy" not in input_args("/tmp/a.mp3", PipelineOptions(allow_file=True, http_proxy=PROXY))


def test_the_proxy_form_of_https_urls() -> None:
    assert proxy_form("https://a.example:8443/x?y=1#f") == "http://a.example.https.encore-proxy:8443/x?y=1"
    assert proxy_form("https://a.example") == "http://a.example.https.encore-proxy/"
    with pytest.raises(SourceError):
        proxy_form("https://[2001:db8::1]/a.mp3")


def test_the_subprocess_environment_names_the_proxy_and_exempts_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("no_proxy", "*")
    monkeypatch.setenv("HTTPS_PROXY", "http://elsewhere:3128")
    assert subprocess_env(NET) is None
    env = subprocess_env(PipelineOptions(http_proxy=PROXY))
    assert env is not None
    assert env["http_proxy"] == PROXY
    assert "no_proxy" not in env
    assert "HTTPS_PROXY" not in env
