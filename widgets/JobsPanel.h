#pragma once
#include <QWidget>
#include <map>
#include <optional>

class QLabel;
class QProgressBar;
class QPushButton;
class QVBoxLayout;

namespace gw {

/// The jobs of this session, newest first, one row each: name and state, a progress bar, the time
/// left and a Cancel button (running, queued or waiting jobs). Finished jobs stay, greyed, with
/// their outcome until "Clear finished". It only shows what it is told; the window runs the jobs.
class JobsPanel : public QWidget {
    Q_OBJECT
public:
    explicit JobsPanel(QWidget *parent = nullptr);

    /// A new row; returns the job's id for the calls below.
    int addJob(const QString &name, const QString &state);
    void setState(int id, const QString &state);
    /// @p fraction in 0..1; @p message is the job's own words on what it does now.
    void setProgress(int id, double fraction, const QString &message);
    void setTimeLeft(int id, std::optional<double> seconds);
    /// In place of the time left while the job waits on someone ("you"): nobody's pace is foreseen.
    void setWaitingFor(int id, const QString &whom);
    /// The job is over: no Cancel, the outcome in place of the state.
    void setFinished(int id, const QString &outcome);

    int jobCount() const { return int(rows_.size()); }
    int activeJobCount() const;
    QProgressBar *progressBar(int id) const;
    QPushButton *cancelButton(int id) const;
    QLabel *stateLabel(int id) const;
    QLabel *timeLeftLabel(int id) const;

public Q_SLOTS:
    void clearFinished();

Q_SIGNALS:
    void cancelRequested(int id);

private:
    struct Row {
        QWidget *frame;
        QLabel *state;
        QProgressBar *bar;
        QLabel *timeLeft;
        QPushButton *cancel;
        bool finished = false;
    };
    const Row *row(int id) const;
    void updateEmptyNote();

    QVBoxLayout *rowsLayout_;
    QLabel *emptyNote_;
    std::map<int, Row> rows_;
    int nextId_ = 1;
};

} // namespace gw
