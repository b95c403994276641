package main

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"buergerbuero/office"
	"buergerbuero/storage"
)

// StoreConfig chooses where bookings are kept: the bbolt file named by
// --data (the default), or an etcd cluster for several service instances.
type StoreConfig struct {
	Etcd EtcdStoreConfig `yaml:"etcd"`
}

// EtcdStoreConfig reaches the etcd cluster. Without endpoints the bbolt
// file is used.
type EtcdStoreConfig struct {
	// Endpoints are the members' client URLs (https://etcd1:2379, …).
	Endpoints []string `yaml:"endpoints"`
	// Prefix keeps the service's keys apart; default /buergerbuero/.
	Prefix string `yaml:"prefix"`
	// TLS names the PEM files: the CA that signed the members'
	// certificates, and this instance's client certificate and key.
	TLS EtcdTLS `yaml:"tls"`
	// Username and Password log in with etcd's authentication, if on.
	// Or BUERGERBUERO_ETCD_PASSWORD.
	Username string `yaml:"username"`
	Password string `yaml:"password"`
	// Lease is how long an instance that died still holds the lead and
	// the writers' lock: the others take over after it; default 10s.
	Lease time.Duration `yaml:"lease"`
	// MaxTxnOps is the members' --max-txn-ops (etcd's default 128): how
	// many writes the service puts into one etcd transaction. Raised on
	// the members and here (1024), a rush commits in fewer Raft rounds.
	MaxTxnOps int `yaml:"max_txn_ops"`
}

// EtcdTLS names the PEM files of a TLS connection to etcd.
type EtcdTLS struct {
	CA   string `yaml:"ca"`
	Cert string `yaml:"cert"`
	Key  string `yaml:"key"`
}

// validate checks the store section. An etcd section without endpoints
// is a mistake, not "use the file": several instances would each keep
// their own data, each believing it shares it.
func (s StoreConfig) validate(c *office.Checker) {
	e := s.Etcd
	if len(e.Endpoints) == 0 && (e.Prefix != "" || e.Username != "" || e.Lease != 0 || e.MaxTxnOps != 0 || e.TLS != (EtcdTLS{})) {
		c.Add("store.etcd.endpoints", "are required when store.etcd is set (the members' client URLs); without a store.etcd section the service keeps its data in the bbolt file")
	}
	for i, ep := range s.Etcd.Endpoints {
		if u, err := url.Parse(ep); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			c.Add(fmt.Sprintf("store.etcd.endpoints[%d]", i), "must be a URL such as https://etcd1.rathaus.local:2379")
		}
	}
	if n := s.Etcd.MaxTxnOps; n != 0 && (n < 128 || n > 65536) {
		c.Add("store.etcd.max_txn_ops", "must be between 128 (etcd's default) and 65536, and what the members' --max-txn-ops allow")
	}
	if l := s.Etcd.Lease; l != 0 && (l < time.Second || l > time.Minute) {
		c.Add("store.etcd.lease", "must be between 1s and 1m")
	}
	t := s.Etcd.TLS
	if (t.Cert == "") != (t.Key == "") {
		c.Add("store.etcd.tls", "cert and key go together")
	}
	for field, path := range map[string]string{"store.etcd.tls.ca": t.CA, "store.etcd.tls.cert": t.Cert, "store.etcd.tls.key": t.Key} {
		if path != "" {
			if _, err := os.Stat(path); err != nil {
				c.Add(field, "cannot be read: "+err.Error())
			}
		}
	}
}

// etcdConfig is the storage package's view of the section.
func (s StoreConfig) etcdConfig() (storage.EtcdConfig, error) {
	e := s.Etcd
	cfg := storage.EtcdConfig{Endpoints: e.Endpoints, Prefix: e.Prefix, Username: e.Username, Password: e.Password, LockTTL: e.Lease,
		MaxTxnOps: e.MaxTxnOps}
	if cfg.Prefix == "" {
		cfg.Prefix = "/buergerbuero/"
	}
	if e.TLS.CA == "" && e.TLS.Cert == "" {
		return cfg, nil
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if e.TLS.CA != "" {
		pem, err := os.ReadFile(e.TLS.CA)
		if err != nil {
			return cfg, fmt.Errorf("etcd CA: %w", err)
		}
		tc.RootCAs = x509.NewCertPool()
		if !tc.RootCAs.AppendCertsFromPEM(pem) {
			return cfg, fmt.Errorf("etcd CA %s: no certificate in it", e.TLS.CA)
		}
	}
	if e.TLS.Cert != "" {
		pair, err := tls.LoadX509KeyPair(e.TLS.Cert, e.TLS.Key)
		if err != nil {
			return cfg, fmt.Errorf("etcd client certificate: %w", err)
		}
		tc.Certificates = []tls.Certificate{pair}
	}
	cfg.TLS = tc
	return cfg, nil
}

// openBackend opens the configured store: etcd if endpoints are set,
// else the bbolt file at dataPath. It says which, for the log.
func openBackend(cfg *fileConfig, dataPath string) (storage.Backend, string, error) {
	if len(cfg.Store.Etcd.Endpoints) == 0 {
		if err := os.MkdirAll(filepath.Dir(dataPath), 0o700); err != nil {
			return nil, "", fmt.Errorf("data directory: %w", err)
		}
		b, err := storage.OpenFile(dataPath, time.Second)
		return b, dataPath, err
	}
	ec, err := cfg.Store.etcdConfig()
	if err != nil {
		return nil, "", err
	}
	b, err := storage.OpenEtcd(ec)
	return b, fmt.Sprintf("etcd %v%s", ec.Endpoints, ec.Prefix), err
}

// migrate copies the bbolt file into the configured etcd cluster (--to
// etcd), or the cluster into a bbolt file (--to file), with the service
// stopped. It refuses to write into a store that holds bookings already.
func migrate(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", "", "config file with the store.etcd section")
	dataPath := fs.String("data", "./data/buergerbuero.db", "the bbolt store file")
	to := fs.String("to", "", "etcd: move the bbolt file into etcd; file: copy etcd into the bbolt file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *configPath == "" || (*to != "etcd" && *to != "file") {
		return errors.New("usage: buergerbuero migrate --config FILE [--data FILE] --to etcd|file")
	}
	cfg, err := loadConfig(*configPath)
	if err != nil {
		return err
	}
	if len(cfg.Store.Etcd.Endpoints) == 0 {
		return fmt.Errorf("%s has no store.etcd.endpoints", *configPath)
	}
	ec, err := cfg.Store.etcdConfig()
	if err != nil {
		return err
	}
	cluster, err := storage.OpenEtcd(ec)
	if err != nil {
		return err
	}
	defer cluster.Close()
	if *to == "file" {
		if _, err := os.Stat(*dataPath); err == nil {
			return fmt.Errorf("%s exists: move it away first, nothing is overwritten", *dataPath)
		}
	}
	file, err := storage.OpenFile(*dataPath, time.Second)
	if err != nil {
		return fmt.Errorf("%s (is the service still running?): %w", *dataPath, err)
	}
	defer file.Close()
	from, into, name := storage.Backend(file), cluster, "etcd "+ec.Prefix
	if *to == "file" {
		from, into, name = cluster, file, *dataPath
	}
	if n, err := bucketCount(into); err != nil || n > 0 {
		if err != nil {
			return err
		}
		return fmt.Errorf("%s already holds %d buckets: migrate only into an empty store", name, n)
	}
	if err := storage.CopyBackend(into, from); err != nil {
		return err
	}
	n, err := bucketCount(into)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "copied %d buckets into %s\n", n, name)
	return nil
}

func bucketCount(b storage.Backend) (int, error) {
	n := 0
	err := b.View(func(tx storage.Tx) error {
		names, err := tx.Buckets()
		n = len(names)
		return err
	})
	return n, err
}
