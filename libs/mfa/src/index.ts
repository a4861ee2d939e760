// The public surface of @authkit/mfa. Empty until the library is built.
export {};
