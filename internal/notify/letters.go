// Package notify words the e-mail naptracker sends, in Tajik, Russian or English, as plain
// text and as HTML: what happened, and where the recipient acts on it.
package notify

import (
	"fmt"
	"strings"
	"time"

	"github.com/naptracker/naptracker/internal/nap"
)

// Link is a line of a letter that leads somewhere.
type Link struct {
	Text, URL string
}

// Letter is what a notification says, before it is rendered and its reader greeted.
type Letter struct {
	Subject    string
	Paragraphs []string
	Items      []Link
	Action     Link // where to act
}

// ReviewData is what a notice of an update's review tells.
type ReviewData struct {
	Measure      string // code
	MeasureTitle string
	Period       string
	Organization string // code
	Reason       string // of a return or a rejection
	URL          string // of the update
}

// ReminderData is what a reminder of a submission deadline tells an organization's focal
// point.
type ReminderData struct {
	Organization string
	Period       string
	Deadline     time.Time
	DaysLeft     int    // negative once the deadline has passed
	Missing      []Link // the measures without a submitted report
	URL          string // of the organization's completeness
}

// DigestPeriod is one reporting round in the coordinators' weekly digest.
type DigestPeriod struct {
	Plan, Period                           string
	Deadline                               time.Time
	Expected, Submitted, Approved, Waiting int
	Late                                   []string // "MS: 3" for each organization with late reports
	URL                                    string   // of the period's completeness
}

// phrases are a language's words for every letter.
type phrases struct {
	greeting                                          string
	signOffSubject, signOff, reviewSubject, review    string
	returnedSubject, returned, rejectedSubject        string
	rejected, approvedSubject, approved, reason, open string
	reminderSubject, reminder, overdueSubject         string
	overdue, missing, completeness                    string
	digestSubject, digest, digestLine, digestLate     string
	digestNone                                        string
	dateLayout                                        string
}

var words = map[string]phrases{
	"en": {
		greeting:        "Dear %s,",
		signOffSubject:  "To sign off: measure %s, %s",
		signOff:         "%[3]s's progress update on measure %[1]s (%[2]s) for %[4]s awaits your sign-off.",
		reviewSubject:   "To review: measure %s, %s",
		review:          "%[3]s's progress update on measure %[1]s (%[2]s) for %[4]s awaits the coordinator's review.",
		returnedSubject: "Returned: measure %s, %s",
		returned:        "Your progress update on measure %[1]s (%[2]s) for %[4]s was returned to you.",
		rejectedSubject: "Rejected: measure %s, %s",
		rejected:        "Your progress update on measure %[1]s (%[2]s) for %[4]s was rejected.",
		approvedSubject: "Approved: measure %s, %s",
		approved:        "Your progress update on measure %[1]s (%[2]s) for %[4]s was approved.",
		reason:          "The reason given: %s",
		open:            "Open the update",
		reminderSubject: "%s reports due in %d days: %s",
		reminder:        "%[1]s's reports for %[2]s are due by %[3]s, in %[4]d days. These measures have no submitted report yet:",
		overdueSubject:  "%s reports overdue: %s",
		overdue:         "%[1]s's reports for %[2]s were due by %[3]s. These measures still have no submitted report:",
		missing:         "measure %s: %s",
		completeness:    "See where your organization's reports stand",
		digestSubject:   "Weekly reporting digest",
		digest:          "Where the reporting rounds stand this week:",
		digestLine:      "%s, %s (due %s): %d of %d reports submitted, %d approved, %d awaiting review.",
		digestLate:      "Late: %s.",
		digestNone:      "No organization is late.",
		dateLayout:      "2 January 2006",
	},
	"ru": {
		greeting:        "Уважаемый(ая) %s!",
		signOffSubject:  "На подписание: мера %s, %s",
		signOff:         "Отчёт %[3]s о ходе выполнения меры %[1]s (%[2]s) за %[4]s ожидает вашего подписания.",
		reviewSubject:   "На рассмотрение: мера %s, %s",
		review:          "Отчёт %[3]s о ходе выполнения меры %[1]s (%[2]s) за %[4]s ожидает рассмотрения координатором.",
		returnedSubject: "Возвращён: мера %s, %s",
		returned:        "Ваш отчёт о ходе выполнения меры %[1]s (%[2]s) за %[4]s возвращён вам на доработку.",
		rejectedSubject: "Отклонён: мера %s, %s",
		rejected:        "Ваш отчёт о ходе выполнения меры %[1]s (%[2]s) за %[4]s отклонён.",
		approvedSubject: "Утверждён: мера %s, %s",
		approved:        "Ваш отчёт о ходе выполнения меры %[1]s (%[2]s) за %[4]s утверждён.",
		reason:          "Указанная причина: %s",
		open:            "Открыть отчёт",
		reminderSubject: "Отчёты %s за %[3]s: осталось %[2]d дн.",
		reminder:        "Отчёты %[1]s за %[2]s нужно представить до %[3]s (осталось %[4]d дн.). По этим мерам отчёт ещё не представлен:",
		overdueSubject:  "Отчёты %s за %s просрочены",
		overdue:         "Отчёты %[1]s за %[2]s нужно было представить до %[3]s. По этим мерам отчёт всё ещё не представлен:",
		missing:         "мера %s: %s",
		completeness:    "Посмотреть, как обстоят дела с отчётами вашей организации",
		digestSubject:   "Еженедельная сводка об отчётности",
		digest:          "Как обстоят дела с отчётностью на этой неделе:",
		digestLine:      "%s, %s (срок %s): представлено %d из %d отчётов, утверждено %d, ожидают рассмотрения %d.",
		digestLate:      "Просрочено: %s.",
		digestNone:      "Просроченных отчётов нет.",
		dateLayout:      "02.01.2006",
	},
	"tg": {
		greeting:        "Муҳтарам(а) %s!",
		signOffSubject:  "Барои имзо: чораи %s, %s",
		signOff:         "Гузориши %[3]s дар бораи иҷрои чораи %[1]s (%[2]s) барои %[4]s имзои шуморо интизор аст.",
		reviewSubject:   "Барои баррасӣ: чораи %s, %s",
		review:          "Гузориши %[3]s дар бораи иҷрои чораи %[1]s (%[2]s) барои %[4]s баррасии ҳамоҳангсозро интизор аст.",
		returnedSubject: "Баргардонида шуд: чораи %s, %s",
		returned:        "Гузориши шумо дар бораи иҷрои чораи %[1]s (%[2]s) барои %[4]s барои такмил ба шумо баргардонида шуд.",
		rejectedSubject: "Рад карда шуд: чораи %s, %s",
		rejected:        "Гузориши шумо дар бораи иҷрои чораи %[1]s (%[2]s) барои %[4]s рад карда шуд.",
		approvedSubject: "Тасдиқ шуд: чораи %s, %s",
		approved:        "Гузориши шумо дар бораи иҷрои чораи %[1]s (%[2]s) барои %[4]s тасдиқ шуд.",
		reason:          "Сабаби зикршуда: %s",
		open:            "Гузоришро кушоед",
		reminderSubject: "Гузоришҳои %s барои %[3]s: %[2]d рӯз монд",
		reminder:        "Гузоришҳои %[1]s барои %[2]s бояд то %[3]s пешниҳод шаванд (%[4]d рӯз монд). Оид ба ин чораҳо ҳанӯз гузориш пешниҳод нашудааст:",
		overdueSubject:  "Мӯҳлати гузоришҳои %s барои %s гузашт",
		overdue:         "Гузоришҳои %[1]s барои %[2]s бояд то %[3]s пешниҳод мешуданд. Оид ба ин чораҳо то ҳол гузориш пешниҳод нашудааст:",
		missing:         "чораи %s: %s",
		completeness:    "Вазъи гузоришҳои ташкилоти худро бинед",
		digestSubject:   "Хулосаи ҳарҳафтаинаи гузоришдиҳӣ",
		digest:          "Вазъи гузоришдиҳӣ дар ин ҳафта:",
		digestLine:      "%s, %s (мӯҳлат %s): аз %[5]d гузориш %[4]d пешниҳод, %[6]d тасдиқ шудаанд, %[7]d баррасиро интизоранд.",
		digestLate:      "Бо таъхир: %s.",
		digestNone:      "Гузориши бо таъхир нест.",
		dateLayout:      "02.01.2006",
	},
}

// of returns the phrases of lang, English when lang is not one of ours.
func of(lang string) phrases {
	if w, ok := words[lang]; ok {
		return w
	}
	return words["en"]
}

// Review words a notice of an update's review: that it awaits sign-off or review, or that it
// was returned, rejected or approved.
func Review(kind nap.NotificationKind, lang string, d ReviewData) Letter {
	w := of(lang)
	texts := map[nap.NotificationKind][2]string{
		nap.NotifySignOffNeeded: {w.signOffSubject, w.signOff},
		nap.NotifyReviewNeeded:  {w.reviewSubject, w.review},
		nap.NotifyReturned:      {w.returnedSubject, w.returned},
		nap.NotifyRejected:      {w.rejectedSubject, w.rejected},
		nap.NotifyApproved:      {w.approvedSubject, w.approved},
	}[kind]
	subject, body := texts[0], texts[1]
	l := Letter{
		Subject:    fmt.Sprintf(subject, d.Measure, d.Period),
		Paragraphs: []string{fmt.Sprintf(body, d.Measure, d.MeasureTitle, d.Organization, d.Period)},
		Action:     Link{Text: w.open, URL: d.URL},
	}
	if d.Reason != "" {
		l.Paragraphs = append(l.Paragraphs, fmt.Sprintf(w.reason, d.Reason))
	}
	return l
}

// Reminder words a reminder of a submission deadline, or, once it has passed, an overdue
// notice.
func Reminder(lang string, d ReminderData) Letter {
	w := of(lang)
	deadline := d.Deadline.Format(w.dateLayout)
	l := Letter{Items: d.Missing, Action: Link{Text: w.completeness, URL: d.URL}}
	if d.DaysLeft < 0 {
		l.Subject = fmt.Sprintf(w.overdueSubject, d.Organization, d.Period)
		l.Paragraphs = []string{fmt.Sprintf(w.overdue, d.Organization, d.Period, deadline)}
	} else {
		l.Subject = fmt.Sprintf(w.reminderSubject, d.Organization, d.DaysLeft, d.Period)
		l.Paragraphs = []string{fmt.Sprintf(w.reminder, d.Organization, d.Period, deadline, d.DaysLeft)}
	}
	return l
}

// MissingMeasure is the line of a reminder that names a measure without a submitted report.
func MissingMeasure(lang, code, title, url string) Link {
	return Link{Text: fmt.Sprintf(of(lang).missing, code, title), URL: url}
}

// Digest words the coordinators' weekly digest.
func Digest(lang string, periods []DigestPeriod) Letter {
	w := of(lang)
	l := Letter{Subject: w.digestSubject, Paragraphs: []string{w.digest}}
	for _, p := range periods {
		line := fmt.Sprintf(w.digestLine, p.Plan, p.Period, p.Deadline.Format(w.dateLayout), p.Submitted, p.Expected, p.Approved, p.Waiting)
		if len(p.Late) > 0 {
			line += " " + fmt.Sprintf(w.digestLate, strings.Join(p.Late, ", "))
		} else {
			line += " " + w.digestNone
		}
		l.Items = append(l.Items, Link{Text: line, URL: p.URL})
	}
	return l
}
