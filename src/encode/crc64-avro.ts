// CRC-64-AVRO, the fingerprint of Avro's single-object encoding (Avro specification, "Schema
// Fingerprints"). Hand-written because avsc offers only hash-based fingerprints (md5, sha256).
const EMPTY = 0xc15d213aa4d7a795n;
const MASK = 0xffffffffffffffffn;

const TABLE = (() => {
  const table = new BigUint64Array(256);
  for (let i = 0; i < 256; i++) {
    let fingerprint = BigInt(i);
    for (let bit = 0; bit < 8; bit++) fingerprint = (fingerprint >> 1n) ^ (EMPTY & -(fingerprint & 1n) & MASK);
    table[i] = fingerprint;
  }
  return table;
})();

/** The 64-bit fingerprint, as an unsigned BigInt. */
export function crc64Avro(data: Uint8Array): bigint {
  let fingerprint = EMPTY;
  for (const byte of data) fingerprint = (fingerprint >> 8n) ^ TABLE[Number((fingerprint ^ BigInt(byte)) & 0xffn)];
  return fingerprint;
}
