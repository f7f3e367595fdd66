import { describe, expect, it } from "vitest";
import { classifyTlsFailure, tlsFailureAdvice } from "../../../runtime/docker/tls-failure";

const err = (code: string, message = "x") => Object.assign(new Error(message), { code });

describe("TLS failure classification", () => {
  it("recognises a server cert from another CA", () => {
    expect(classifyTlsFailure(err("UNABLE_TO_VERIFY_LEAF_SIGNATURE"))).toBe("unknown-ca");
    expect(classifyTlsFailure(err("SELF_SIGNED_CERT_IN_CHAIN"))).toBe("unknown-ca");
  });

  it("recognises a refused client certificate by code and by OpenSSL message", () => {
    expect(classifyTlsFailure(err("ERR_SSL_TLSV1_ALERT_BAD_CERTIFICATE"))).toBe("client-cert-rejected");
    expect(classifyTlsFailure(err("ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE"))).toBe("client-cert-rejected");
    expect(classifyTlsFailure(err("EPROTO", "error:0A000412:SSL routines::sslv3 alert bad certificate"))).toBe("client-cert-rejected");
  });

  it("recognises a name the server cert does not cover, and expiry", () => {
    expect(classifyTlsFailure(err("ERR_TLS_CERT_ALTNAME_INVALID"))).toBe("wrong-name");
    expect(classifyTlsFailure(err("CERT_HAS_EXPIRED"))).toBe("expired");
  });

  it("leaves errors that are not about TLS alone", () => {
    expect(classifyTlsFailure(err("ECONNREFUSED"))).toBeUndefined();
    expect(classifyTlsFailure(new Error("(HTTP code 404) no such container"))).toBeUndefined();
  });

  it("says what to change for every kind", () => {
    expect(tlsFailureAdvice("client-cert-rejected")).toMatch(/client_auth/);
    expect(tlsFailureAdvice("wrong-name")).toMatch(/SANs|serverName/);
  });
});
