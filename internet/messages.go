package internet

import "crypto/tls"

// SSLReady is sent on "sslready" once a makessl upgrade has completed its
// handshake. Data sent after makessl is encrypted from then on (it was
// held back until now). Kamaelia sent an empty string; State tells the
// negotiated version, cipher suite and the peer's certificates.
type SSLReady struct {
	State tls.ConnectionState
}

// MakeSSL is the message to send on "makessl". Any message on that box
// starts the upgrade, as in Kamaelia; a MakeSSL can also carry the last
// plaintext to write before the handshake.
type MakeSSL struct {
	// Plaintext, if set, is written after the adapter has stopped reading
	// and just before the handshake. A server answering STARTTLS must put
	// its "go ahead" reply here rather than send it on "inbox" first: the
	// client starts its handshake as soon as it reads the reply, and this
	// way none of it can be read as plaintext. A reply sent on "inbox"
	// before makessl races with the client: even a reactive handler, which
	// usually runs in the adapter's reader, runs elsewhere when another
	// goroutine holds its turn (its first step, for one), and the reader
	// may then read the start of the handshake as data.
	Plaintext []byte
}
