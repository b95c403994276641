package main

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"
)

// TestEtcdFailover: a three-member etcd cluster and two service instances
// serve a booking rush through the real Telegram client. During it the
// instance that leads the service is killed with SIGKILL; once bookings
// flow again (measured: the longest time without any answer) it comes
// back, and then the etcd member that leads the Raft group is stopped
// (measured the same way). The rush completes (users who got no answer ask
// again, as citizens do), and afterwards every booking a user was told of
// exists with its PIN, no time is over capacity, nobody holds two
// bookings. Each failure holds the flow up for at most failoverGoal.
func TestEtcdFailover(t *testing.T) {
	env := onEtcdCluster(t, 0)
	if err := env.startOne(0); err != nil { // the first leads
		t.Fatal(err)
	}
	if err := env.start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan *results)
	go func() { done <- env.drive(context.Background(), options{users: 1500}) }()
	time.Sleep(1500 * time.Millisecond) // the rush is under way
	killed := time.Now()
	env.killOne(0) // at once, as a power cut
	res := env.live.Load()
	afterKill := waitForFlow(t, env, res, killed)
	if err := env.startOne(0); err != nil { // back, as systemd would restart it
		t.Fatal(err)
	}
	stopped := time.Now()
	member, err := env.cluster.StopLeader()
	if err != nil {
		t.Fatal(err)
	}
	afterRaft := waitForFlow(t, env, res, stopped)
	<-done
	env.stop()
	report := checked(t, env, res)
	log, err := os.ReadFile(env.log.Name())
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(log), "this instance leads"); n < 2 {
		t.Fatalf("the second instance never took the lead (%d leads in the log):\n%s", n, log)
	}
	if len(res.told) < 1000 {
		t.Fatalf("only %d bookings:\n%s", len(res.told), report)
	}
	if afterKill > failoverLimit || afterRaft > failoverLimit {
		t.Errorf("bookings stopped for %v after the leading instance was killed and %v after the Raft leader stopped; the goal is %v, the limit on a busy machine %v",
			afterKill.Round(time.Millisecond), afterRaft.Round(time.Millisecond), failoverGoal, failoverLimit)
	}
	t.Logf("leading instance killed (SIGKILL): no answer for %v; etcd member %d (the Raft leader) stopped: no answer for %v; %d users asked again after no answer\n%s",
		afterKill.Round(time.Millisecond), member, afterRaft.Round(time.Millisecond), res.nudges, report)
}

// onEtcdCluster makes the load environment of two service instances on
// a three-member etcd cluster with the instances' lease (0: the load
// tool's 2 s), whose users ask again when an answer does not come. The
// caller starts the instances.
func onEtcdCluster(t *testing.T, lease time.Duration) *environment {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the service and runs an etcd cluster")
	}
	env := testEnvironment(t, "load")
	env.lease = lease
	if err := env.onEtcd(2); err != nil {
		t.Fatal(err)
	}
	env.nudge = true
	return env
}

// failoverGoal is the longest the flow of answers should stop after a
// failure: the instances' lease (2s in the load tool) and a new leader's
// start. Measured on a quiet machine it holds (3.2-4.2 s); on a busy one
// (CI's is shared) a starved instance's lease runs out too (one run:
// 8.1 s), so the test fails only at failoverLimit, when the flow plainly
// did not come back.
const (
	failoverGoal  = 5 * time.Second
	failoverLimit = 15 * time.Second
)

// waitForFlow waits until answers came again for a while after a failure
// at from, and returns the longest time without any (over 10 seconds).
func waitForFlow(t *testing.T, env *environment, res *results, from time.Time) time.Duration {
	t.Helper()
	deadline := time.Now().Add(stallBound())
	for time.Now().Before(deadline) {
		time.Sleep(250 * time.Millisecond)
		if s := res.stall(from, time.Since(from)); time.Since(from) > 2*time.Second && s < time.Since(from)-time.Second {
			return res.stall(from, 10*time.Second)
		}
	}
	logSummary(t, env)
	t.Fatalf("no answers for 30s after a failure")
	return 0
}

// checked checks the store after a run: the report, or the test fails.
func checked(t *testing.T, env *environment, res *results) string {
	t.Helper()
	inv, err := env.check(res)
	if err != nil {
		t.Fatal(err)
	}
	var report strings.Builder
	res.print(&report)
	inv.print(&report)
	if !inv.ok() {
		logSummary(t, env)
		keepLog(t, env)
		t.Fatalf("invariants broken:\n%s", report.String())
	}
	return report.String()
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

// logSummary logs the services' warnings and errors, each kind once with
// its count.
func logSummary(t *testing.T, env *environment) {
	if res := env.live.Load(); res != nil {
		t.Logf("answers per second: %s", res.timeline())
	}
	log, _ := os.ReadFile(env.log.Name())
	counts := map[string]int{}
	for line := range strings.Lines(string(log)) {
		if strings.Contains(line, "level=ERROR") || strings.Contains(line, "level=WARN") || strings.Contains(line, "lead") {
			_, msg, _ := strings.Cut(line, "msg=")
			counts[msg[:min(len(msg), 160)]]++
		}
	}
	for msg, n := range counts {
		t.Logf("%5d× %s", n, strings.TrimSpace(msg))
	}
}

// stallBound is how long waitForFlow waits: 30 s, or LOADTEST_STALL_BOUND
// (to let a starved run go on to the end and check it).
func stallBound() time.Duration {
	if d, err := time.ParseDuration(os.Getenv("LOADTEST_STALL_BOUND")); err == nil {
		return d
	}
	return 30 * time.Second
}

// keepLog copies the services' log to LOADTEST_KEEP_LOG, if set, to read
// after a failed run.
func keepLog(t *testing.T, env *environment) {
	to := os.Getenv("LOADTEST_KEEP_LOG")
	if to == "" {
		return
	}
	log, err := os.ReadFile(env.log.Name())
	if err == nil {
		err = os.WriteFile(to, log, 0o600)
	}
	if err != nil {
		t.Logf("keep the log: %v", err)
	}
}
