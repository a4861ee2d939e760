/** Injection token of the 32-byte key-encryption key (`AUTH_KEK`, or the development key). */
export const KeyEncryptionKey = Symbol('KeyEncryptionKey');
