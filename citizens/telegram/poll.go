package telegram

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-telegram/bot/models"
)

// Long polling that confirms an update to Telegram only once it was
// handled: the next getUpdates asks for the updates after a batch only
// when every update of the batch went through the dialogue (whose stored
// state names the updates it handled, so a repeat is dropped). An update
// in hand when the service dies is fetched again by the next instance or
// start, not lost. (The library's own polling confirms updates as soon as
// they are queued.)

// errUnauthorized means the token was refused: polling stops.
var errUnauthorized = errors.New("telegram: the token was refused")

// pollUpdates receives updates until ctx ends.
func (b *Bot) pollUpdates(ctx context.Context) error {
	client := &http.Client{Timeout: b.cfg.PollTimeout + 15*time.Second, Transport: keepAlive()}
	var offset int64
	var wait time.Duration
	for ctx.Err() == nil {
		updates, err := b.getUpdates(ctx, client, offset)
		switch {
		case ctx.Err() != nil:
			return nil
		case errors.Is(err, errUnauthorized):
			return err
		case err != nil:
			wait = min(max(2*wait, 100*time.Millisecond), 5*time.Second)
			b.log.Warn("telegram: get updates", "err", err, "retry_in", wait)
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(wait):
			}
			continue
		}
		wait = 0
		var handled sync.WaitGroup
		for _, u := range updates {
			offset = max(offset, u.ID+1)
			handled.Add(1)
			b.route(ctx, &u, handled.Done)
		}
		handled.Wait()
	}
	return nil
}

// getUpdates asks for the updates from offset on, waiting up to the poll
// timeout for some.
func (b *Bot) getUpdates(ctx context.Context, client *http.Client, offset int64) ([]models.Update, error) {
	allowed, _ := json.Marshal([]string{models.AllowedUpdateMessage, models.AllowedUpdateCallbackQuery})
	form := url.Values{
		"offset":          {strconv.FormatInt(offset, 10)},
		"timeout":         {strconv.Itoa(max(1, int((b.cfg.PollTimeout - time.Second).Seconds())))},
		"allowed_updates": {string(allowed)},
	}
	endpoint := strings.TrimRight(b.cfg.APIURL, "/") + "/bot" + b.cfg.Token + "/getUpdates"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := client.Do(req)
	if err != nil {
		return nil, errors.New(strings.ReplaceAll(err.Error(), b.cfg.Token, "<token>")) // no token in the logs
	}
	defer res.Body.Close()
	var answer struct {
		OK          bool            `json:"ok"`
		Result      []models.Update `json:"result"`
		ErrorCode   int             `json:"error_code"`
		Description string          `json:"description"`
	}
	if err := json.NewDecoder(res.Body).Decode(&answer); err != nil {
		return nil, fmt.Errorf("telegram getUpdates: %s: %w", res.Status, err)
	}
	switch {
	case res.StatusCode == http.StatusUnauthorized:
		return nil, errUnauthorized
	case !answer.OK:
		return nil, fmt.Errorf("telegram getUpdates: %d %s", answer.ErrorCode, answer.Description)
	}
	return answer.Result, nil
}
