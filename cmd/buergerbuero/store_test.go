package main

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"buergerbuero/booking"
	"buergerbuero/internal/fakeclock"
	"buergerbuero/office"
	"buergerbuero/storage"
	"buergerbuero/storage/etcdtest"
)

// A bbolt file moves into etcd with `migrate --to etcd` and back with
// `--to file`: every booking keeps its PIN, ids go on where they were,
// and a store that holds data already is never written into. The service
// then runs on etcd.
func TestMigrateToEtcdAndBack(t *testing.T) {
	cluster := etcdtest.Start(t, 1)
	dir := t.TempDir()
	data := filepath.Join(dir, "bb.db")
	cfg, err := office.DemoConfig()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	file, err := booking.Open(data, cfg, booking.Options{Clock: fakeclock.New(now)})
	if err != nil {
		t.Fatal(err)
	}
	days, err := file.FreeSlots(context.Background(), booking.ForCitizen, []office.ConcernCount{{ID: "personalausweis", Count: 1}}, now, now.AddDate(0, 0, 14))
	if err != nil || len(days) == 0 {
		t.Fatalf("no free time to book: %v", err)
	}
	b, pin, err := file.Book(context.Background(), booking.Request{Concerns: []office.ConcernCount{{ID: "personalausweis", Count: 1}},
		Start: days[0].Times[0], Name: "Erika Mustermann", PersonKey: "tg:1"})
	if err != nil {
		t.Fatal(err)
	}
	file.Close()
	cfgPath := filepath.Join(dir, "office.yaml")
	os.WriteFile(cfgPath, append(alwaysOpenDemo(t), "\nstore:\n  etcd:\n    endpoints: ["+strings.Join(cluster.Endpoints, ", ")+"]\n    prefix: /musterstadt/\n"...), 0o600)

	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"migrate", "--config", cfgPath, "--data", data, "--to", "etcd"}, &out, &errOut); code != 0 || !strings.Contains(out.String(), "copied") {
		t.Fatalf("migrate --to etcd: exit %d\n%s%s", code, out.String(), errOut.String())
	}
	errOut.Reset()
	if code := run(context.Background(), []string{"migrate", "--config", cfgPath, "--data", data, "--to", "etcd"}, &out, &errOut); code == 0 || !strings.Contains(errOut.String(), "only into an empty store") {
		t.Fatalf("a second migration into the filled store: exit %d\n%s", code, errOut.String())
	}
	backend, err := storage.OpenEtcd(storage.EtcdConfig{Endpoints: cluster.Endpoints, Prefix: "/musterstadt/"})
	if err != nil {
		t.Fatal(err)
	}
	onEtcd, err := booking.New(backend, cfg, booking.Options{Clock: fakeclock.New(now)})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := onEtcd.Lookup(context.Background(), b.Number, pin); err != nil || got.ID != b.ID || got.Name != "Erika Mustermann" {
		t.Fatalf("the booking on etcd: %+v %v", got, err)
	}
	next, _, err := onEtcd.Book(context.Background(), booking.Request{Concerns: []office.ConcernCount{{ID: "personalausweis", Count: 1}},
		Start: days[0].Times[1], Name: "Max Mustermann", PersonKey: "tg:2"})
	if err != nil || next.ID <= b.ID {
		t.Fatalf("the next booking on etcd: id %d after %d (%v)", next.ID, b.ID, err)
	}
	onEtcd.Close()

	back := filepath.Join(dir, "back.db")
	errOut.Reset()
	if code := run(context.Background(), []string{"migrate", "--config", cfgPath, "--data", back, "--to", "file"}, &out, &errOut); code != 0 {
		t.Fatalf("migrate --to file: exit %d\n%s", code, errOut.String())
	}
	again, err := booking.Open(back, cfg, booking.Options{Clock: fakeclock.New(now)})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := again.Lookup(context.Background(), b.Number, pin); err != nil || got.ID != b.ID {
		t.Fatalf("the booking back in a file: %+v %v", got, err)
	}
	again.Close()

	// The service runs on etcd.
	ctx, cancel := context.WithCancel(context.Background())
	var stderr syncBuffer
	done := make(chan int)
	go func() {
		done <- run(ctx, []string{"--config", cfgPath, "--data", filepath.Join(dir, "unused.db"), "--listen", "127.0.0.1:0"}, &stderr, &stderr)
	}()
	var addr []string
	for deadline := time.Now().Add(20 * time.Second); addr == nil; time.Sleep(10 * time.Millisecond) {
		addr = regexp.MustCompile(`listen=(\S+)`).FindStringSubmatch(stderr.String())
		if time.Now().After(deadline) {
			t.Fatalf("not started:\n%s", stderr.String())
		}
	}
	res, err := http.Get("http://" + addr[1] + "/readyz")
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("readyz: %v %v", res, err)
	}
	res.Body.Close()
	if !strings.Contains(stderr.String(), "store=\"etcd [") {
		t.Fatalf("not on etcd:\n%s", stderr.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "unused.db")); err == nil {
		t.Fatal("a bbolt file was made though the store is etcd")
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("exit %d:\n%s", code, stderr.String())
	}
}

// A store.etcd section without endpoints is an error, not a silent fall
// back to the bbolt file (each instance would keep its own data).
func TestAnEtcdSectionNeedsItsEndpoints(t *testing.T) {
	path := filepath.Join(t.TempDir(), "office.yaml")
	os.WriteFile(path, append(office.DemoConfigYAML(), "\nstore:\n  etcd:\n    prefix: /buergerbuero/\n    lease: 10s\n"...), 0o600)
	var out bytes.Buffer
	if code := run(context.Background(), []string{"check-config", path}, &out, &out); code != 1 || !strings.Contains(out.String(), "store.etcd.endpoints: are required") {
		t.Fatalf("check-config of an etcd section without endpoints: %d\n%s", code, out.String())
	}
}
