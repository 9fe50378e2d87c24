// Hearing the bot: its Opus frames over a WebSocket, decoded by WebCodecs, played by WebAudio.
import { $, state } from "./dom.js";

export class Ear {
  constructor() {
    this.ctx = new AudioContext({ sampleRate: 48000, latencyHint: "interactive" });
    this.analyser = this.ctx.createAnalyser();
    this.analyser.fftSize = 32768;
    this.analyser.smoothingTimeConstant = 0;
    this.analyser.connect(this.ctx.destination);
    this.next = 0;
    this.frames = 0;
    this.firstFrameAt = null;
    this.lastFrameAt = null;
    this.streamStartAt = null;
    this.socket = null;
    this.key = null;
    this.decoder = null;
  }

  open(channel, viewer) {
    const key = `${channel}/${viewer}`;
    if (this.key === key && this.socket) return;
    this.close();
    this.key = key;
    this.decoder = new AudioDecoder({ output: (data) => this.play(data), error: (e) => console.warn("opus", e) });
    this.decoder.configure({ codec: "opus", sampleRate: 48000, numberOfChannels: 2 });
    let timestamp = 0;
    const query = new URLSearchParams({ channel, viewer });
    const socket = new WebSocket(`ws://${location.host}/api/audio?${query}`);
    socket.binaryType = "arraybuffer";
    socket.onmessage = (event) => {
      if (this.decoder.state !== "configured") return;
      this.decoder.decode(new EncodedAudioChunk({ type: "key", timestamp, data: event.data }));
      timestamp += 20000;
    };
    socket.onclose = () => { if (this.socket === socket) { this.socket = null; this.key = null; } };
    this.socket = socket;
    if (this.ctx.state === "suspended") this.ctx.resume();
  }

  play(data) {
    const buffer = this.ctx.createBuffer(data.numberOfChannels, data.numberOfFrames, data.sampleRate);
    for (let channel = 0; channel < data.numberOfChannels; channel++) {
      data.copyTo(buffer.getChannelData(channel), { planeIndex: channel, format: "f32-planar" });
    }
    data.close();
    const source = this.ctx.createBufferSource();
    source.buffer = buffer;
    source.connect(this.analyser);
    // A small jitter buffer: a frame after a silence starts 60 ms from now, the next ones follow it seamlessly.
    const start = Math.max(this.next, this.ctx.currentTime + 0.06);
    source.start(start);
    this.next = start + buffer.duration;
    this.frames += 1;
    const now = performance.now();
    if (this.firstFrameAt === null) this.firstFrameAt = now;
    if (this.lastFrameAt === null || now - this.lastFrameAt > 300) this.streamStartAt = now;  // after a silence
    this.lastFrameAt = now;
  }

  close() {
    if (this.socket) this.socket.close();
    this.socket = null;
    this.key = null;
    if (this.decoder && this.decoder.state !== "closed") this.decoder.close();
    this.decoder = null;
  }

  level() {
    const samples = new Float32Array(this.analyser.fftSize);
    this.analyser.getFloatTimeDomainData(samples);
    let sum = 0;
    for (const s of samples.subarray(samples.length - 4800)) sum += s * s;
    const rms = Math.sqrt(sum / 4800);
    return rms > 0 ? 20 * Math.log10(rms) : -Infinity;
  }

  pitch() {
    const bins = new Float32Array(this.analyser.frequencyBinCount);
    this.analyser.getFloatFrequencyData(bins);
    let best = 1;
    for (let i = 2; i < bins.length; i++) if (bins[i] > bins[best]) best = i;
    const [a, b, c] = [bins[best - 1], bins[best], bins[best + 1] ?? bins[best]];
    const shift = (a - c) / (2 * (a - 2 * b + c) || 1);
    return ((best + shift) * this.ctx.sampleRate) / this.analyser.fftSize;
  }
}

export function ensureEar() {
  if (!state.ear) state.ear = new Ear();
  return state.ear;
}

export function listen(channel, viewer) { ensureEar().open(channel, viewer); }
export function stopListening() { if (state.ear) state.ear.close(); }

export function meter() {
  const ear = state.ear;
  if (ear && ear.socket) {
    const db = ear.level();
    const width = Number.isFinite(db) ? Math.max(0, Math.min(100, (db + 60) * (100 / 60))) : 0;
    $("level-bar").style.width = `${width}%`;
    $("level-text").textContent = Number.isFinite(db) && db > -70
      ? `${db.toFixed(0)} dBFS, about ${ear.pitch().toFixed(0)} Hz` : "silence";
  } else {
    $("level-bar").style.width = "0";
    $("level-text").textContent = "not listening";
  }
  requestAnimationFrame(meter);
}
