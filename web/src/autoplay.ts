/**
 * Whether audio may start without a click. Asked once at load so the page can offer its
 * "Enable audio" button before the first utterance arrives, not after it was held back.
 */
export async function autoplayAllowed(): Promise<boolean> {
  const policy = (navigator as Navigator & { getAutoplayPolicy?: (type: 'mediaelement') => string }).getAutoplayPolicy;
  if (typeof policy === 'function') return policy.call(navigator, 'mediaelement') === 'allowed';
  const url = URL.createObjectURL(silentWav());
  const probe = new Audio(url);
  try {
    await probe.play();
    return true;
  } catch (error) {
    return !(error instanceof DOMException && error.name === 'NotAllowedError');
  } finally {
    // Detach before revoking, or the element reports a failed load of the revoked URL.
    probe.pause();
    probe.removeAttribute('src');
    probe.load();
    URL.revokeObjectURL(url);
  }
}

/** 20 ms of 8 kHz mono silence: the smallest clip every browser decodes. */
function silentWav(): Blob {
  const samples = 160;
  const view = new DataView(new ArrayBuffer(44 + samples));
  const text = (offset: number, value: string): void => {
    for (let i = 0; i < value.length; i += 1) view.setUint8(offset + i, value.charCodeAt(i));
  };
  text(0, 'RIFF');
  view.setUint32(4, 36 + samples, true);
  text(8, 'WAVEfmt ');
  view.setUint32(16, 16, true);
  view.setUint16(20, 1, true);
  view.setUint16(22, 1, true);
  view.setUint32(24, 8000, true);
  view.setUint32(28, 8000, true);
  view.setUint16(32, 1, true);
  view.setUint16(34, 8, true);
  text(36, 'data');
  view.setUint32(40, samples, true);
  for (let i = 0; i < samples; i += 1) view.setUint8(44 + i, 128);
  return new Blob([view.buffer], { type: 'audio/wav' });
}
