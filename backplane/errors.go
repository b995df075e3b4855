package backplane

import "errors"

var (
	// ErrSlowSubscriber is wrapped by the error a SubscribeTo with the
	// Disconnect policy ends with when a message arrives for its full
	// queue.
	ErrSlowSubscriber = errors.New("backplane: subscriber too slow")

	// ErrClosed is wrapped by the error a PublishTo or SubscribeTo ends
	// with when its backplane has ended: there is nothing to publish to or
	// subscribe to any more.
	ErrClosed = errors.New("backplane: backplane closed")
)
