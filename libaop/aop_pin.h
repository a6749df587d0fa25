/* Licensed under the Apache License, Version 2.0; see LICENSE. */
/*
 * aop_pin: leaf pins as written in CFAOPPin / CFAOPHostnamePin.
 *   sha256:HEX          SHA-256 of the certificate DER (colons, case ignored)
 *   spki-sha256:BASE64  SHA-256 of the SubjectPublicKeyInfo (survives re-issue)
 * A third form, a path to a PEM file, is resolved by the caller into
 * sha256 pins of every certificate in the file (aop_pin_from_cert).
 */
#ifndef AOP_PIN_H
#define AOP_PIN_H

#include "aop_cert.h"

typedef enum aop_pin_kind {
    AOP_PIN_CERT_SHA256 = 1,
    AOP_PIN_SPKI_SHA256 = 2
} aop_pin_kind;

typedef struct aop_pin {
    aop_pin_kind kind;
    unsigned char digest[AOP_SHA256_LEN];
} aop_pin;

/* Longest text aop_pin_format writes, with the NUL. */
#define AOP_PIN_TEXTLEN 80

/*
 * Parses the digest forms. Returns 1 when `text` is a well-formed pin,
 * 0 when it has no pin prefix (so it names a file), -1 when it has a pin
 * prefix but a malformed value (err says what is wrong).
 */
int aop_pin_parse(const char *text, aop_pin *pin, aop_error *err);

/* The sha256 pin of a certificate. */
int aop_pin_from_cert(X509 *x, aop_pin *pin);

/* Canonical text: "sha256:<64 lowercase hex>" or "spki-sha256:<base64>". */
void aop_pin_format(const aop_pin *pin, char buf[AOP_PIN_TEXTLEN]);

int aop_pin_equal(const aop_pin *a, const aop_pin *b);

#endif /* AOP_PIN_H */
