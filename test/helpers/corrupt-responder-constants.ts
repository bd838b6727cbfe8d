// Shared by test/helpers/corrupt-responder.ts (a script: importing it runs it) and the tests.

/** The data byte the responder's 'payload' answer flips: past the 16-byte timeval, where iputils' own data check starts. */
export const PAYLOAD_INDEX = 20;
