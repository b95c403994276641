package storage

import "errors"

// Sentinel errors that callers branch on; every error of this package
// that is one of these wraps it (use errors.Is).
var (
	// ErrUnavailable means the store cannot be reached or cannot decide
	// (an etcd cluster without a quorum): nothing was written; try later.
	ErrUnavailable = errors.New("storage: unavailable")
	// ErrFileLocked means another process holds the store's file.
	ErrFileLocked = errors.New("storage: the store file is in use by another process")
	// ErrBadConfig means a backend's settings cannot be used.
	ErrBadConfig = errors.New("storage: bad settings")
)
