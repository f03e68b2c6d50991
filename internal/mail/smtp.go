// Package mail sends naptracker's notifications by e-mail, over SMTP: plain text and HTML in
// one message, with a Message-ID of the notification's own, so that a message sent again
// after a failure is recognisable as the same one.
package mail

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"net/url"
	"strings"
	"time"

	"github.com/naptracker/naptracker/internal/nap"
)

// timeout bounds one message's exchange with the server.
const timeout = 30 * time.Second

// SMTP sends messages to one SMTP server.
type SMTP struct {
	addr, host  string
	implicitTLS bool // smtps: TLS from the first byte
	requireTLS  bool // refuse a server that does not offer STARTTLS
	user, pass  string
	from        mail.Address
}

// New returns a sender to the server an smtp:// or smtps:// URL names
// (smtp://user:password@host:port; ?starttls=required refuses a server that does not offer
// STARTTLS, which is otherwise used whenever it is offered), sending from the address from.
func New(rawURL, from string) (*SMTP, error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" || (u.Scheme != "smtp" && u.Scheme != "smtps") {
		return nil, errors.New("the SMTP URL is not smtp://[user:password@]host[:port] or smtps://…")
	}
	sender, err := mail.ParseAddress(from)
	if err != nil {
		return nil, fmt.Errorf("the sender's address %q: %w", from, err)
	}
	s := &SMTP{addr: u.Host, host: u.Hostname(), implicitTLS: u.Scheme == "smtps", from: *sender,
		requireTLS: u.Query().Get("starttls") == "required"}
	if u.Port() == "" {
		port := "25"
		if s.implicitTLS {
			port = "465"
		}
		s.addr = net.JoinHostPort(s.host, port)
	}
	if u.User != nil {
		s.user = u.User.Username()
		s.pass, _ = u.User.Password()
	}
	return s, nil
}

// Send sends a notification to its recipient.
func (s *SMTP) Send(ctx context.Context, n nap.Notification) error {
	msg, err := Message(s.from, n)
	if err != nil {
		return err
	}
	dialer := &net.Dialer{Timeout: timeout}
	var conn net.Conn
	if s.implicitTLS {
		conn, err = (&tls.Dialer{NetDialer: dialer, Config: &tls.Config{ServerName: s.host, MinVersion: tls.VersionTLS12}}).DialContext(ctx, "tcp", s.addr)
	} else {
		conn, err = dialer.DialContext(ctx, "tcp", s.addr)
	}
	if err != nil {
		return err
	}
	_ = conn.SetDeadline(time.Now().Add(timeout))
	c, err := smtp.NewClient(conn, s.host)
	if err != nil {
		_ = conn.Close()
		return err
	}
	defer c.Close() //nolint:errcheck // Quit below is what reports failure
	if err := c.Hello("naptracker"); err != nil {
		return err
	}
	if ok, _ := c.Extension("STARTTLS"); ok && !s.implicitTLS {
		if err := c.StartTLS(&tls.Config{ServerName: s.host, MinVersion: tls.VersionTLS12}); err != nil {
			return err
		}
	} else if s.requireTLS && !s.implicitTLS {
		return fmt.Errorf("%s does not offer STARTTLS, which the SMTP URL requires", s.addr)
	}
	if s.user != "" {
		if err := c.Auth(smtp.PlainAuth("", s.user, s.pass, s.host)); err != nil {
			return err
		}
	}
	if err := c.Mail(s.from.Address); err != nil {
		return err
	}
	if err := c.Rcpt(n.Email); err != nil {
		return err
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write(msg); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return c.Quit()
}

// Message is a notification as an RFC 5322 message: plain text and HTML as alternatives,
// its Message-ID made of the notification's id and the sender's domain.
func Message(from mail.Address, n nap.Notification) ([]byte, error) {
	var body bytes.Buffer
	parts := multipart.NewWriter(&body)
	for _, p := range []struct{ mediaType, content string }{{"text/plain", n.Text()}, {"text/html", n.HTML()}} {
		w, err := parts.CreatePart(textproto.MIMEHeader{
			"Content-Type":              {p.mediaType + "; charset=utf-8"},
			"Content-Transfer-Encoding": {"quoted-printable"},
		})
		if err != nil {
			return nil, err
		}
		qp := quotedprintable.NewWriter(w)
		if _, err := qp.Write([]byte(p.content)); err != nil {
			return nil, err
		}
		if err := qp.Close(); err != nil {
			return nil, err
		}
	}
	if err := parts.Close(); err != nil {
		return nil, err
	}
	domain := from.Address[strings.LastIndex(from.Address, "@")+1:]
	var msg bytes.Buffer
	for _, h := range [][2]string{
		{"From", from.String()},
		{"To", (&mail.Address{Address: n.Email}).String()},
		{"Subject", mime.QEncoding.Encode("utf-8", n.Subject())},
		{"Date", n.CreatedAt.UTC().Format(time.RFC1123Z)},
		{"Message-ID", "<" + n.ID + "@" + domain + ">"},
		{"Content-Language", n.Language},
		{"Auto-Submitted", "auto-generated"},
		{"MIME-Version", "1.0"},
		{"Content-Type", "multipart/alternative; boundary=" + parts.Boundary()},
	} {
		fmt.Fprintf(&msg, "%s: %s\r\n", h[0], h[1])
	}
	msg.WriteString("\r\n")
	msg.Write(body.Bytes())
	return msg.Bytes(), nil
}
