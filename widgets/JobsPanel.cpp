#include "JobsPanel.h"

#include "jobs/TimeLeft.h"

#include <QFrame>
#include <QGridLayout>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QScrollArea>
#include <QVBoxLayout>

namespace gw {

JobsPanel::JobsPanel(QWidget *parent) : QWidget(parent), rowsLayout_(new QVBoxLayout), emptyNote_(new QLabel(QStringLiteral("No jobs yet: File → New run…")))
{
    auto *content = new QWidget;
    auto *contentLayout = new QVBoxLayout(content);
    contentLayout->addWidget(emptyNote_);
    contentLayout->addLayout(rowsLayout_);
    contentLayout->addStretch(1);
    auto *scroll = new QScrollArea;
    scroll->setWidget(content);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    auto *clear = new QPushButton(QStringLiteral("C&lear finished"));
    clear->setObjectName(QStringLiteral("clearFinishedJobs"));
    connect(clear, &QPushButton::clicked, this, &JobsPanel::clearFinished);
    auto *bottom = new QHBoxLayout;
    bottom->addStretch(1);
    bottom->addWidget(clear);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addWidget(scroll, 1);
    layout->addLayout(bottom);
    emptyNote_->setEnabled(false);
}

int JobsPanel::addJob(const QString &name, const QString &state)
{
    const int id = nextId_++;
    auto *frame = new QFrame;
    frame->setObjectName(QStringLiteral("job%1").arg(id));
    frame->setFrameShape(QFrame::StyledPanel);
    auto *grid = new QGridLayout(frame);
    auto *title = new QLabel(QStringLiteral("<b>%1</b>").arg(name.toHtmlEscaped()));
    auto *stateLabel = new QLabel(state);
    stateLabel->setWordWrap(true);
    auto *bar = new QProgressBar;
    bar->setRange(0, 1000);
    bar->setValue(0);
    bar->setFormat(QStringLiteral("%p%"));
    bar->setAccessibleName(QStringLiteral("Progress of %1").arg(name));
    auto *timeLeft = new QLabel;
    timeLeft->setMinimumWidth(timeLeft->fontMetrics().horizontalAdvance(QStringLiteral("99 h 59 min left")));
    auto *cancel = new QPushButton(QStringLiteral("Cancel"));
    cancel->setObjectName(QStringLiteral("cancelJob"));
    cancel->setToolTip(QStringLiteral("Cancel %1 (a running job stops cleanly and is stored as cancelled)").arg(name));
    // Name and time left, then the bar with its Cancel, then what the job says it does: narrow enough for a side dock.
    stateLabel->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    title->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    timeLeft->setAlignment(Qt::AlignRight | Qt::AlignVCenter);
    grid->addWidget(title, 0, 0);
    grid->addWidget(timeLeft, 0, 1, 1, 2);
    grid->addWidget(bar, 1, 0, 1, 2);
    grid->addWidget(cancel, 1, 2);
    grid->addWidget(stateLabel, 2, 0, 1, 3);
    grid->setColumnStretch(0, 1);
    connect(cancel, &QPushButton::clicked, this, [this, id] { Q_EMIT cancelRequested(id); });
    rowsLayout_->insertWidget(0, frame); // newest first
    rows_.emplace(id, Row{frame, stateLabel, bar, timeLeft, cancel});
    updateEmptyNote();
    return id;
}

const JobsPanel::Row *JobsPanel::row(int id) const
{
    const auto it = rows_.find(id);
    return it == rows_.end() ? nullptr : &it->second;
}

void JobsPanel::setState(int id, const QString &state)
{
    if (const Row *r = row(id))
        r->state->setText(state);
}

void JobsPanel::setProgress(int id, double fraction, const QString &message)
{
    if (const Row *r = row(id)) {
        r->bar->setValue(int(std::clamp(fraction, 0.0, 1.0) * 1000));
        if (!message.isEmpty())
            r->state->setText(message);
    }
}

void JobsPanel::setTimeLeft(int id, std::optional<double> seconds)
{
    if (const Row *r = row(id))
        r->timeLeft->setText(QStringLiteral("%1 left").arg(TimeLeft::format(seconds)));
}

void JobsPanel::setWaitingFor(int id, const QString &whom)
{
    if (const Row *r = row(id))
        r->timeLeft->setText(tr("waiting for %1").arg(whom));
}

void JobsPanel::setFinished(int id, const QString &outcome)
{
    const auto it = rows_.find(id);
    if (it == rows_.end())
        return;
    Row &r = it->second;
    r.finished = true;
    r.state->setText(outcome);
    r.timeLeft->clear();
    r.cancel->hide();
    r.bar->setEnabled(false);
}

int JobsPanel::activeJobCount() const
{
    return int(std::count_if(rows_.begin(), rows_.end(), [](const auto &entry) { return !entry.second.finished; }));
}

QProgressBar *JobsPanel::progressBar(int id) const
{
    const Row *r = row(id);
    return r ? r->bar : nullptr;
}

QPushButton *JobsPanel::cancelButton(int id) const
{
    const Row *r = row(id);
    return r ? r->cancel : nullptr;
}

QLabel *JobsPanel::stateLabel(int id) const
{
    const Row *r = row(id);
    return r ? r->state : nullptr;
}

QLabel *JobsPanel::timeLeftLabel(int id) const
{
    const Row *r = row(id);
    return r ? r->timeLeft : nullptr;
}

void JobsPanel::clearFinished()
{
    for (auto it = rows_.begin(); it != rows_.end();) {
        if (it->second.finished) {
            delete it->second.frame;
            it = rows_.erase(it);
        } else {
            ++it;
        }
    }
    updateEmptyNote();
}

void JobsPanel::updateEmptyNote()
{
    emptyNote_->setVisible(rows_.empty());
}

} // namespace gw
