// Package etcdtest runs etcd in process, for tests and the load tool:
// real members on loopback ports (go.etcd.io/etcd/server/v3/embed), no
// external service.
package etcdtest

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"
)

// Cluster is a running cluster of embedded members.
type Cluster struct {
	Members []*embed.Etcd
	// Endpoints are the members' client URLs.
	Endpoints []string
	stopped   map[int]bool
	configs   []*embed.Config
}

// Start runs a cluster of n members (1, 3 or 5) and stops it at the end
// of the test.
func Start(tb testing.TB, n int) *Cluster {
	tb.Helper()
	c, err := StartCluster(tb.TempDir(), n)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(c.Close)
	return c
}

// StartCluster runs a cluster of n members with their data in dir.
func StartCluster(dir string, n int) (*Cluster, error) {
	type ports struct{ client, peer string }
	var ps []ports
	var initial string
	for i := range n {
		client, err := freeURL()
		if err != nil {
			return nil, err
		}
		peer, err := freeURL()
		if err != nil {
			return nil, err
		}
		ps = append(ps, ports{client, peer})
		if i > 0 {
			initial += ","
		}
		initial += fmt.Sprintf("m%d=%s", i, peer)
	}
	c := &Cluster{stopped: map[int]bool{}, configs: make([]*embed.Config, n)}
	type result struct {
		i   int
		e   *embed.Etcd
		err error
	}
	started := make(chan result, n)
	for i, p := range ps {
		cfg := embed.NewConfig()
		cfg.Name = fmt.Sprintf("m%d", i)
		cfg.Dir = filepath.Join(dir, cfg.Name)
		if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
			return nil, err
		}
		cfg.ZapLoggerBuilder = embed.NewZapLoggerBuilder(zap.NewNop()) // its shutdown notes are not the test's
		cfg.MaxTxnOps = 1024
		cu, _ := url.Parse(p.client)
		pu, _ := url.Parse(p.peer)
		cfg.ListenClientUrls, cfg.AdvertiseClientUrls = []url.URL{*cu}, []url.URL{*cu}
		cfg.ListenPeerUrls, cfg.AdvertisePeerUrls = []url.URL{*pu}, []url.URL{*pu}
		cfg.InitialCluster = initial
		cfg.InitialClusterToken = "buergerbuero-test"
		c.configs[i] = cfg
		go func() { // members of a new cluster wait for each other to start
			e, err := embed.StartEtcd(cfg)
			started <- result{i, e, err}
		}()
		c.Endpoints = append(c.Endpoints, p.client)
	}
	c.Members = make([]*embed.Etcd, n)
	var errs []error
	for range n {
		select {
		case r := <-started:
			c.Members[r.i], errs = r.e, append(errs, r.err)
		case <-time.After(60 * time.Second):
			errs = append(errs, errors.New("etcd did not start in a minute"))
		}
	}
	if err := errors.Join(errs...); err != nil {
		c.Close()
		return nil, fmt.Errorf("start etcd: %w", err)
	}
	for _, e := range c.Members {
		select {
		case <-e.Server.ReadyNotify():
		case <-time.After(60 * time.Second):
			c.Close()
			return nil, errors.New("etcd not ready in a minute")
		}
	}
	return c, nil
}

// StopLeader stops the member that leads the Raft group and returns its
// index; the others elect a new leader (with three members, two keep the
// quorum).
func (c *Cluster) StopLeader() (int, error) {
	for i, e := range c.Members {
		if c.stopped[i] || e == nil {
			continue
		}
		if e.Server.Leader() == e.Server.MemberID() {
			e.Close()
			c.stopped[i] = true
			return i, nil
		}
	}
	return -1, errors.New("no member leads")
}

// Stop stops member i.
func (c *Cluster) Stop(i int) {
	if !c.stopped[i] {
		c.Members[i].Close()
		c.stopped[i] = true
	}
}

// Restart starts the stopped member i again on its data, and waits until
// it is ready (with a quorum back, the cluster is).
func (c *Cluster) Restart(i int) error {
	if !c.stopped[i] {
		return nil
	}
	cfg := c.configs[i]
	cfg.ClusterState = embed.ClusterStateFlagExisting
	e, err := embed.StartEtcd(cfg)
	if err != nil {
		return fmt.Errorf("restart etcd member %d: %w", i, err)
	}
	c.Members[i], c.stopped[i] = e, false
	select {
	case <-e.Server.ReadyNotify():
		return nil
	case <-time.After(60 * time.Second):
		return fmt.Errorf("restarted etcd member %d not ready in a minute", i)
	}
}

// Close stops every member still running.
func (c *Cluster) Close() {
	for i, e := range c.Members {
		if e != nil && !c.stopped[i] {
			e.Close()
			c.stopped[i] = true
		}
	}
}

// freeURL is a loopback URL on a port free just now.
func freeURL() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return "http://" + l.Addr().String(), nil
}
