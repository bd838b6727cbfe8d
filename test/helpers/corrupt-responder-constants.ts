// Shared by test/helpers/corrupt-responder.ts (a script: importing it runs it) and the tests.

/** The data byte the responder's 'payload' answer flips: past the 16-byte timeval, where iputils' own data check starts. */
export const PAYLOAD_INDEX = 20;

/** Data bytes left in the responder's 'truncated' answer: 44-byte ICMP replies, as in iputils' "44 bytes from ... (truncated)". */
export const TRUNCATED_DATA = 36;
