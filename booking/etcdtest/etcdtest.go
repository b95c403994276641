// Package etcdtest runs etcd in process for tests: real members on
// loopback ports (go.etcd.io/etcd/server/v3/embed), no external service.
package etcdtest

import (
	"fmt"
	"net"
	"net/url"
	"testing"
	"time"

	"go.etcd.io/etcd/server/v3/embed"
)

// Cluster is a running cluster of embedded members.
type Cluster struct {
	Members []*embed.Etcd
	// Endpoints are the members' client URLs.
	Endpoints []string
}

// Start runs a cluster of n members (1 or 3) in dir and stops it at the
// end of the test.
func Start(tb testing.TB, n int) *Cluster {
	tb.Helper()
	type ports struct{ client, peer string }
	var ps []ports
	var initial string
	for i := range n {
		p := ports{client: freeURL(tb), peer: freeURL(tb)}
		ps = append(ps, p)
		if i > 0 {
			initial += ","
		}
		initial += fmt.Sprintf("m%d=%s", i, p.peer)
	}
	c := &Cluster{}
	started := make(chan *embed.Etcd, n)
	errs := make(chan error, n)
	for i, p := range ps {
		cfg := embed.NewConfig()
		cfg.Name = fmt.Sprintf("m%d", i)
		cfg.Dir = tb.TempDir()
		cfg.LogLevel = "error"
		cfg.MaxTxnOps = 1024
		cu, _ := url.Parse(p.client)
		pu, _ := url.Parse(p.peer)
		cfg.ListenClientUrls, cfg.AdvertiseClientUrls = []url.URL{*cu}, []url.URL{*cu}
		cfg.ListenPeerUrls, cfg.AdvertisePeerUrls = []url.URL{*pu}, []url.URL{*pu}
		cfg.InitialCluster = initial
		cfg.InitialClusterToken = "buergerbuero-test"
		go func() { // members of a new cluster wait for each other to start
			e, err := embed.StartEtcd(cfg)
			if err != nil {
				errs <- err
				return
			}
			started <- e
		}()
		c.Endpoints = append(c.Endpoints, p.client)
	}
	for range n {
		select {
		case e := <-started:
			c.Members = append(c.Members, e)
		case err := <-errs:
			tb.Fatalf("start etcd: %v", err)
		case <-time.After(60 * time.Second):
			tb.Fatal("etcd did not start in a minute")
		}
	}
	for _, e := range c.Members {
		select {
		case <-e.Server.ReadyNotify():
		case <-time.After(60 * time.Second):
			tb.Fatal("etcd not ready in a minute")
		}
	}
	tb.Cleanup(func() {
		for _, e := range c.Members {
			e.Close()
		}
	})
	return c
}

// freeURL is a loopback URL on a port free just now.
func freeURL(tb testing.TB) string {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer l.Close()
	return "http://" + l.Addr().String()
}
