package main

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"
)

// TestEtcdFailover: a three-member etcd cluster and two service instances
// serve a booking rush through the real Telegram client; during it the
// etcd leader is stopped and the instance that leads the service is killed
// with SIGKILL. The other instance takes over, the rush completes (users
// who got no answer ask again, as citizens do), and afterwards every
// booking a user was told of exists with its PIN, no time is over
// capacity, nobody holds two bookings. (A user puzzled by an answer asks
// again too; the report lists the first such answers.)
func TestEtcdFailover(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the service and runs an etcd cluster")
	}
	env := testEnvironment(t, "load")
	if err := env.onEtcd(2); err != nil {
		t.Fatal(err)
	}
	env.nudge = true
	if err := env.startOne(0); err != nil { // the first leads
		t.Fatal(err)
	}
	if err := env.start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan *results)
	go func() { done <- env.drive(context.Background(), options{users: 150}) }()
	time.Sleep(1500 * time.Millisecond) // the rush is under way
	env.killOne(0)                      // at once, as a power cut
	stopped := make(chan error, 1)
	var member int
	go func() { // the Raft leader goes too; stopping a member takes a while
		var err error
		member, err = env.cluster.StopLeader()
		stopped <- err
	}()
	res := <-done
	if err := <-stopped; err != nil {
		t.Fatal(err)
	}
	env.stop()
	inv, err := env.check(res)
	if err != nil {
		t.Fatal(err)
	}
	log, err := os.ReadFile(env.log.Name())
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(log), "this instance leads"); n < 2 {
		t.Fatalf("the second instance never took the lead (%d leads in the log):\n%s", n, log)
	}
	var report strings.Builder
	res.print(&report)
	inv.print(&report)
	if !inv.ok() || len(res.told) < 100 {
		t.Fatalf("after stopping etcd member %d and killing the leading instance:\n%s", member, report.String())
	}
	t.Logf("etcd member %d (the Raft leader) stopped and the leading instance killed mid-rush; %d users asked again after no answer\n%s", member, res.nudges, report.String())
}

// TestTownOfThreeOffices runs the load tool on a town of three offices:
// users name their office, clerks call at theirs; every booking a user was
// told of is at the office they named, with its PIN, and no office is
// over capacity.
func TestTownOfThreeOffices(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the service")
	}
	var out strings.Builder
	if err := run(t.Context(), &out, options{users: 60, mailUsers: 6, clerks: 3, scenario: "load", bin: testBinary(t), offices: 3}); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	for _, want := range []string{"a town of 3 offices", "booked 66 (Telegram 60), told the time is taken 0, stuck 0", "invariants (all hold): 66 appointments stored"} {
		if !strings.Contains(out.String(), want) {
			t.Fatalf("missing %q in\n%s", want, out.String())
		}
	}
	t.Log("\n" + out.String())
}

// testBinary builds the service for the test.
func testBinary(t *testing.T) string {
	t.Helper()
	bin, err := buildServe(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return bin
}
