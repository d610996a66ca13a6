// Photos taken with the camera: resized on the phone so that the longer side is at most
// ``maxPx`` (a JPEG already small enough is kept byte for byte), then hashed with SHA-256
// in the browser (crypto.subtle), the hash the server checks the upload against.

/** Hex SHA-256 of a Blob. */
export async function sha256Hex(blob) {
  const digest = await crypto.subtle.digest("SHA-256", await blob.arrayBuffer());
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

async function resized(bitmap, maxPx, quality) {
  const scale = maxPx / Math.max(bitmap.width, bitmap.height);
  const width = Math.max(1, Math.round(bitmap.width * scale));
  const height = Math.max(1, Math.round(bitmap.height * scale));
  const canvas = new OffscreenCanvas(width, height);
  canvas.getContext("2d").drawImage(bitmap, 0, 0, width, height);
  return { blob: await canvas.convertToBlob({ type: "image/jpeg", quality }), width, height };
}

/**
 * A photo ready for the outbox: ``{blob, sha256, name, width, height, size}``.
 *
 * @param {File} file the picked or captured image
 * @param {{maxPx: number, quality: number}} options the configured size and JPEG quality
 */
export async function preparePhoto(file, { maxPx, quality }) {
  const bitmap = await createImageBitmap(file);
  let out = { blob: file, width: bitmap.width, height: bitmap.height };
  const small = Math.max(bitmap.width, bitmap.height) <= maxPx;
  if (!(small && file.type === "image/jpeg")) out = await resized(bitmap, Math.min(maxPx, Math.max(bitmap.width, bitmap.height)), quality);
  bitmap.close();
  const name = (file.name || "photo").replace(/\.[^.]*$/, "") + ".jpg";
  return { ...out, name, size: out.blob.size, sha256: await sha256Hex(out.blob) };
}
