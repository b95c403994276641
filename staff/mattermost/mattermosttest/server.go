// Package mattermosttest is a local HTTP server that speaks the part of
// Mattermost's API v4 the staff bot uses (users/me, teams and channels by
// name, direct channels, posts create and update, and the websocket with
// its authentication challenge, hello and posted events), built from the
// model package's own types. Tests drive the bot through it and read what
// it posted.
package mattermosttest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"github.com/mattermost/mattermost/server/public/model"
)

// Server is the fake Mattermost.
type Server struct {
	*httptest.Server
	Token string
	Bot   *model.User
	Team  *model.Team

	mu       sync.Mutex
	users    map[string]*model.User    // by id
	channels map[string]*model.Channel // by id
	posts    []*model.Post             // every version, in order
	current  map[string]*model.Post    // by id, latest version
	sockets  []*websocket.Conn
}

// New starts a server for the bot token, with team "buergerbuero" and the
// public channels named.
func New(token string, channels ...string) *Server {
	s := &Server{Token: token, users: map[string]*model.User{}, channels: map[string]*model.Channel{}, current: map[string]*model.Post{},
		Bot:  &model.User{Id: model.NewId(), Username: "bb-bot", IsBot: true},
		Team: &model.Team{Id: model.NewId(), Name: "buergerbuero", DisplayName: "Bürgerbüro"}}
	for _, name := range channels {
		ch := &model.Channel{Id: model.NewId(), TeamId: s.Team.Id, Name: name, DisplayName: name, Type: model.ChannelTypeOpen}
		s.channels[ch.Id] = ch
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v4/users/me", s.auth(func(w http.ResponseWriter, r *http.Request) { writeJSON(w, s.Bot) }))
	mux.HandleFunc("POST /api/v4/users/usernames", s.auth(s.usersByNames))
	mux.HandleFunc("GET /api/v4/teams/name/{team}", s.auth(s.teamByName))
	mux.HandleFunc("GET /api/v4/teams/name/{team}/channels/name/{channel}", s.auth(s.channelByName))
	mux.HandleFunc("POST /api/v4/channels/direct", s.auth(s.direct))
	mux.HandleFunc("POST /api/v4/posts", s.auth(s.createPost))
	mux.HandleFunc("PUT /api/v4/posts/{id}", s.auth(s.updatePost))
	mux.HandleFunc("GET /api/v4/websocket", s.websocket)
	s.Server = httptest.NewServer(mux)
	return s
}

func (s *Server) auth(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		kind, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		if !strings.EqualFold(kind, "bearer") || token != s.Token {
			writeError(w, http.StatusUnauthorized, "api.context.session_expired.app_error")
			return
		}
		h(w, r)
	}
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, id string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(model.NewAppError("fake", id, nil, "", status))
}

// AddUser makes a user (a clerk, or anybody) and returns the id.
func (s *Server) AddUser(name string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := &model.User{Id: model.NewId(), Username: strings.ToLower(name)}
	s.users[u.Id] = u
	return u.Id
}

// RenameUser changes a user's name, as any user may do with their own.
func (s *Server) RenameUser(id, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u := s.users[id]; u != nil {
		u.Username = strings.ToLower(name)
	}
}

func (s *Server) usersByNames(w http.ResponseWriter, r *http.Request) {
	var names []string
	if err := json.NewDecoder(r.Body).Decode(&names); err != nil {
		writeError(w, http.StatusBadRequest, "api.context.invalid_body_param.app_error")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []*model.User{}
	for _, u := range s.users {
		for _, n := range names {
			if strings.EqualFold(u.Username, n) {
				out = append(out, u)
			}
		}
	}
	writeJSON(w, out)
}

func (s *Server) teamByName(w http.ResponseWriter, r *http.Request) {
	if r.PathValue("team") != s.Team.Name {
		writeError(w, http.StatusNotFound, "app.team.get_by_name.missing.app_error")
		return
	}
	writeJSON(w, s.Team)
}

// ChannelID returns the id of the public channel name.
func (s *Server) ChannelID(name string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, ch := range s.channels {
		if ch.Name == name {
			return ch.Id
		}
	}
	return ""
}

func (s *Server) channelByName(w http.ResponseWriter, r *http.Request) {
	if id := s.ChannelID(r.PathValue("channel")); id != "" && r.PathValue("team") == s.Team.Name {
		s.mu.Lock()
		defer s.mu.Unlock()
		writeJSON(w, s.channels[id])
		return
	}
	writeError(w, http.StatusNotFound, "app.channel.get_by_name.missing.app_error")
}

// DirectID is the id of the direct channel of two users, made on first use.
func (s *Server) DirectID(a, b string) string {
	name := model.GetDMNameFromIds(a, b)
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, ch := range s.channels {
		if ch.Name == name {
			return ch.Id
		}
	}
	ch := &model.Channel{Id: model.NewId(), Name: name, Type: model.ChannelTypeDirect}
	s.channels[ch.Id] = ch
	return ch.Id
}

func (s *Server) direct(w http.ResponseWriter, r *http.Request) {
	var ids []string
	if err := json.NewDecoder(r.Body).Decode(&ids); err != nil || len(ids) != 2 {
		writeError(w, http.StatusBadRequest, "api.context.invalid_body_param.app_error")
		return
	}
	id := s.DirectID(ids[0], ids[1])
	s.mu.Lock()
	ch := s.channels[id]
	s.mu.Unlock()
	writeJSON(w, ch)
}

func (s *Server) createPost(w http.ResponseWriter, r *http.Request) {
	var p model.Post
	if err := json.NewDecoder(r.Body).Decode(&p); err != nil || p.ChannelId == "" {
		writeError(w, http.StatusBadRequest, "api.context.invalid_body_param.app_error")
		return
	}
	s.mu.Lock()
	if _, ok := s.channels[p.ChannelId]; !ok {
		s.mu.Unlock()
		writeError(w, http.StatusForbidden, "api.context.permissions.app_error")
		return
	}
	p.Id, p.UserId, p.CreateAt = model.NewId(), s.Bot.Id, model.GetMillis()
	s.store(&p)
	s.mu.Unlock()
	writeJSON(w, &p)
}

func (s *Server) updatePost(w http.ResponseWriter, r *http.Request) {
	var p model.Post
	if err := json.NewDecoder(r.Body).Decode(&p); err != nil || p.Id != r.PathValue("id") {
		writeError(w, http.StatusBadRequest, "api.context.invalid_body_param.app_error")
		return
	}
	s.mu.Lock()
	old, ok := s.current[p.Id]
	if !ok {
		s.mu.Unlock()
		writeError(w, http.StatusNotFound, "app.post.get.app_error")
		return
	}
	p.UserId, p.CreateAt, p.ChannelId, p.EditAt = old.UserId, old.CreateAt, old.ChannelId, model.GetMillis()
	s.store(&p)
	s.mu.Unlock()
	writeJSON(w, &p)
}

func (s *Server) store(p *model.Post) {
	c := p.Clone()
	s.posts = append(s.posts, c)
	s.current[p.Id] = c
}

// Posts returns the latest version of every post in channel, in order.
func (s *Server) Posts(channel string) []*model.Post {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*model.Post
	seen := map[string]bool{}
	for _, p := range s.posts {
		if p.ChannelId == channel && !seen[p.Id] {
			seen[p.Id] = true
			out = append(out, s.current[p.Id].Clone())
		}
	}
	return out
}

// Versions is how often post id was written (1 = never updated).
func (s *Server) Versions(id string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, p := range s.posts {
		if p.Id == id {
			n++
		}
	}
	return n
}

// WaitPosts waits until channel has at least n posts.
func (s *Server) WaitPosts(channel string, n int, timeout time.Duration) ([]*model.Post, error) {
	deadline := time.Now().Add(timeout)
	for {
		ps := s.Posts(channel)
		if len(ps) >= n {
			return ps, nil
		}
		if time.Now().After(deadline) {
			return ps, fmt.Errorf("channel %s: %d posts, want %d", channel, len(ps), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

var upgrader = websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}

// websocket accepts the client, checks its authentication challenge and
// says hello, as Mattermost does.
func (s *Server) websocket(w http.ResponseWriter, r *http.Request) {
	conn, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	var challenge struct {
		Seq    int64          `json:"seq"`
		Action string         `json:"action"`
		Data   map[string]any `json:"data"`
	}
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if err := conn.ReadJSON(&challenge); err != nil || challenge.Action != string(model.WebsocketAuthenticationChallenge) || challenge.Data["token"] != s.Token {
		conn.Close()
		return
	}
	conn.SetReadDeadline(time.Time{})
	conn.WriteJSON(map[string]any{"status": "OK", "seq_reply": challenge.Seq})
	hello := model.NewWebSocketEvent(model.WebsocketEventHello, "", "", s.Bot.Id, nil, "")
	data, _ := hello.ToJSON()
	conn.WriteMessage(websocket.TextMessage, data)
	s.mu.Lock()
	s.sockets = append(s.sockets, conn)
	s.mu.Unlock()
	go func() { // read until the client goes
		for {
			if _, _, err := conn.ReadMessage(); err != nil {
				return
			}
		}
	}()
}

// Connected is how many websocket clients are connected.
func (s *Server) Connected() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.sockets)
}

// UserPosts sends a "posted" event for a message user wrote in the
// direct channel with the bot, as Mattermost would.
func (s *Server) UserPosts(userID, userName, text string) {
	ch := s.DirectID(userID, s.Bot.Id)
	p := &model.Post{Id: model.NewId(), ChannelId: ch, UserId: userID, Message: text, CreateAt: model.GetMillis()}
	raw, _ := json.Marshal(p)
	ev := model.NewWebSocketEvent(model.WebsocketEventPosted, "", ch, "", nil, "")
	ev.Add("post", string(raw))
	ev.Add("channel_type", string(model.ChannelTypeDirect))
	ev.Add("sender_name", "@"+userName)
	data, _ := ev.ToJSON()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.sockets {
		c.WriteMessage(websocket.TextMessage, data)
	}
}
