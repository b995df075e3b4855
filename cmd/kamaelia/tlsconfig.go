package main

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"
)

// clientTLS returns the TLS configuration of a client: certificates are
// verified against the system roots, or against the PEM certificates in
// caFile if it is set; insecure skips the verification; serverName, if
// set, is the name the certificate must carry (else the host connected
// to).
func clientTLS(e *env, caFile string, insecure bool, serverName string) (*tls.Config, error) {
	cfg := &tls.Config{
		MinVersion:         tls.VersionTLS12,
		ServerName:         serverName,
		InsecureSkipVerify: insecure, // only on request: --insecure
	}
	if caFile != "" {
		pem, err := e.readFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("reading CA certificates: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("no PEM certificate found in %s", caFile)
		}
		cfg.RootCAs = pool
	}
	return cfg, nil
}

// serverTLS returns the TLS configuration of a server holding the
// certificate (chain) and key in the given PEM files.
func serverTLS(e *env, certFile, keyFile string) (*tls.Config, error) {
	cert, err := loadKeyPair(e, certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("loading the TLS certificate: %w", err)
	}
	return &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}, nil
}

// loadKeyPair is tls.LoadX509KeyPair, with the files read through e.
func loadKeyPair(e *env, certFile, keyFile string) (tls.Certificate, error) {
	certPEM, err := e.readFile(certFile)
	if err != nil {
		return tls.Certificate{}, err
	}
	keyPEM, err := e.readFile(keyFile)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.X509KeyPair(certPEM, keyPEM)
}

// describeTLS says in one line what a TLS handshake negotiated: the
// version, the cipher suite and the peer certificate's subject.
func describeTLS(st tls.ConnectionState) string {
	s := fmt.Sprintf("%s, %s", tls.VersionName(st.Version), tls.CipherSuiteName(st.CipherSuite))
	if len(st.PeerCertificates) > 0 {
		s += ", peer " + st.PeerCertificates[0].Subject.String()
	}
	return s
}

// isTLSError reports whether err comes from TLS: a failed handshake or
// certificate check, or an alert from the peer.
func isTLSError(err error) bool {
	var (
		verr    *tls.CertificateVerificationError
		alert   tls.AlertError
		header  tls.RecordHeaderError
		unknown x509.UnknownAuthorityError
		host    x509.HostnameError
		invalid x509.CertificateInvalidError
	)
	switch {
	case errors.As(err, &verr), errors.As(err, &alert), errors.As(err, &header),
		errors.As(err, &unknown), errors.As(err, &host), errors.As(err, &invalid):
		return true
	}
	// crypto/tls reports some failures (a protocol version mismatch, a
	// peer that is not speaking TLS) as plain errors whose text starts
	// "tls: "; a peer that hangs up mid-handshake is an EOF during a
	// "handshake".
	msg := err.Error()
	return strings.Contains(msg, "tls: ") || strings.Contains(strings.ToLower(msg), "handshake")
}
