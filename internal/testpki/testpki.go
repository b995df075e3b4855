// Package testpki makes a throw-away certificate authority and a server
// certificate it signed, for tests that need TLS: as Go values for
// crypto/tls, and as PEM files for openssl and the kamaelia command.
package testpki

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// PKI is a test CA and a server certificate it signed for localhost,
// 127.0.0.1 and ::1.
type PKI struct {
	Pool     *x509.CertPool  // trusts the CA
	Server   tls.Certificate // the server's certificate and key
	CAFile   string          // the CA certificate, PEM
	CertFile string          // the server certificate, PEM
	KeyFile  string          // the server's private key, PEM (PKCS #8)
}

// New makes a PKI with a CA of its own, whose files live in a temporary
// folder of t. Two PKIs never trust each other's certificates.
func New(t testing.TB) *PKI {
	t.Helper()
	caKey, key := newKey(t), newKey(t)
	notBefore, notAfter := time.Now().Add(-time.Hour), time.Now().Add(time.Hour)
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "kamaelia test CA"},
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, caKey.Public(), caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "localhost", Organization: []string{"kamaelia test"}},
		NotBefore:    notBefore,
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, key.Public(), caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	p := &PKI{
		Pool:     x509.NewCertPool(),
		Server:   tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key},
		CAFile:   writePEM(t, filepath.Join(dir, "ca.pem"), "CERTIFICATE", caDER),
		CertFile: writePEM(t, filepath.Join(dir, "cert.pem"), "CERTIFICATE", der),
		KeyFile:  writePEM(t, filepath.Join(dir, "key.pem"), "PRIVATE KEY", keyDER),
	}
	p.Pool.AddCert(ca)
	return p
}

// ServerConfig returns a TLS server configuration holding the server
// certificate.
func (p *PKI) ServerConfig() *tls.Config {
	return &tls.Config{Certificates: []tls.Certificate{p.Server}}
}

// ClientConfig returns a TLS client configuration that trusts the CA.
func (p *PKI) ClientConfig() *tls.Config { return &tls.Config{RootCAs: p.Pool} }

func newKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func writePEM(t testing.TB, path, kind string, der []byte) string {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
