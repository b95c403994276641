package main

import (
	"context"
	"testing"
	"time"
)

// TestEtcdRollingRestart: under a steady load of bookings on etcd, every service
// instance is restarted in turn as systemd would (SIGTERM, then start),
// and then every etcd member (stopped, started again on its data). A
// rolling restart is maintenance, not a failure, so citizens must not
// notice it: no user waits so long that they ask again, no one gets an
// answer that does not fit (a repeat of an earlier one, "let's start
// again"), and afterwards every booking a user was told of exists with
// its PIN, no time is over capacity, nobody holds two bookings.
func TestEtcdRollingRestart(t *testing.T) {
	// The production default: a restart gives the lead back at once, so a
	// short lease buys nothing here, and on a starved machine a 2 s lease
	// runs out now and then for no restart at all.
	env := onEtcdCluster(t, 10*time.Second)
	if err := env.start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan *results)
	go func() { done <- env.drive(context.Background(), options{users: 3000, arrive: 40 * time.Second}) }() // 75 citizens a second
	time.Sleep(1500 * time.Millisecond)                                                                     // the rush is under way
	res := env.live.Load()
	var pauses []time.Duration
	for i := range env.cmds {
		t.Logf("%v: instance %d stops", time.Since(res.started).Round(time.Millisecond), i)
		at := time.Now()
		env.stopOne(i)
		if err := env.startOne(i); err != nil {
			t.Fatal(err)
		}
		pauses = append(pauses, waitForFlow(t, env, res, at))
	}
	for m := range env.cluster.Members {
		t.Logf("%v: etcd member %d stops", time.Since(res.started).Round(time.Millisecond), m)
		at := time.Now()
		env.cluster.Stop(m)
		if err := env.cluster.Restart(m); err != nil {
			t.Fatal(err)
		}
		pauses = append(pauses, waitForFlow(t, env, res, at))
	}
	restarted := time.Now()
	res = <-done
	env.stop()
	report := checked(t, env, res)
	if res.started.Add(res.took).Before(restarted) {
		t.Errorf("the rush was over before the last restart (%v): the test needs more users", res.took)
	}
	if res.nudges > 0 || len(res.stuck) > 0 || len(res.odd) > 0 {
		logSummary(t, env)
		t.Fatalf("citizens noticed the rolling restart: %d asked again, %d stuck, answers that did not fit: %q\n%s", res.nudges, len(res.stuck), res.odd, report)
	}
	t.Logf("instances and then members restarted one by one; the longest pause in answers after each: %v\n%s", pauses, report)
}
