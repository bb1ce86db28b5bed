#pragma once
#include "report/RunReport.h"
#include "store/ArtifactRepository.h"

#include <QWidget>

class QCustomPlot;
class QLabel;
class QPlainTextEdit;
class QPushButton;
class QTableWidget;
class QTabWidget;

namespace gw {

class LivePowerPlot;

/// One stored run, whole: its summary with where each figure comes from, its power and energy
/// trace replayed from the store (phases shaded), its curves per epoch or round, its energy per
/// phase, its config (with "New run from this"), the machine it ran on and the models it kept.
/// Every plot zooms (wheel) and pans (drag).
class RunPage : public QWidget {
    Q_OBJECT
public:
    explicit RunPage(QWidget *parent = nullptr);

    void setRun(const RunReport &report, const QList<ArtifactRecord> &artifacts, const QString &cacheDirectory);
    qint64 runId() const { return runId_; }
    LivePowerPlot *powerPlot() const { return power_; }
    QCustomPlot *curvesPlot() const { return curves_; }
    QTableWidget *phaseTable() const { return phases_; }
    QString summaryText() const;

Q_SIGNALS:
    /// The person wants a new run from this run's config (stored JSON).
    void newRunRequested(const QJsonObject &config);

private:
    void showCurves(const RunReport &report);

    qint64 runId_ = 0;
    QJsonObject config_;
    QTabWidget *tabs_;
    QLabel *summary_;
    LivePowerPlot *power_;
    QCustomPlot *curves_;
    QTableWidget *phases_;
    QPlainTextEdit *configText_;
    QPlainTextEdit *hardware_;
    QTableWidget *artifacts_;
};

} // namespace gw
