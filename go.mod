module buergerbuero

go 1.26.7

require (
	github.com/goccy/go-yaml v1.19.2
	github.com/rickar/cal/v2 v2.1.13
	go.etcd.io/bbolt v1.5.0
	golang.org/x/crypto v0.59.0
)

require golang.org/x/sys v0.50.0 // indirect
