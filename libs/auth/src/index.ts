// The public surface of @authkit/auth. Empty until the library is built.
export {};
