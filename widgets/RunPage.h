#pragma once
#include "report/RunReport.h"
#include "store/ArtifactRepository.h"

#include <QDateTime>
#include <QVariantMap>
#include <QWidget>

class QTimer;

class QCPGraph;
class QCustomPlot;
class QLabel;
class QPlainTextEdit;
class QPushButton;
class QTableWidget;
class QTabWidget;
class QTextBrowser;

namespace gw {

class LivePowerPlot;
class RunPartsView;

/// One stored run, whole: its summary with where each figure comes from, its power and energy
/// trace replayed from the store (phases shaded), its curves per epoch or round, its energy per
/// phase, its config (with "New run from this"), the machine it ran on, its model card and the
/// models it kept; "Report…" writes the run alone as an HTML or PDF report.
/// Every plot zooms (wheel) and pans (drag).
///
/// The same page is the live view of a run that is going: beginLive() empties it and shows the
/// config, then samples and finished steps fill its power trace, its summary and its curves as they
/// arrive; setRun() with the stored run replaces it with the whole record when the run ends.
class RunPage : public QWidget {
    Q_OBJECT
public:
    /// Shows the tab titled @p title ("Curves", "Clients"; mnemonics ignored); false when there is none.
    bool showTab(const QString &title);
    explicit RunPage(QWidget *parent = nullptr);

    void setRun(const RunReport &report, const QList<ArtifactRecord> &artifacts, const QString &cacheDirectory);
    qint64 runId() const { return runId_; }
    /// True between beginLive() and the next setRun(): the page follows a run that is going.
    bool isLive() const { return live_; }
    LivePowerPlot *powerPlot() const { return power_; }
    QCustomPlot *curvesPlot() const { return curves_; }
    QTableWidget *phaseTable() const { return phases_; }
    /// The run's parts (variants, clients) side by side; its tab shows only for runs that have parts.
    RunPartsView *partsView() const { return parts_; }
    QTabWidget *tabs() const { return tabs_; }
    QString summaryText() const;
    /// The model card as shown (Markdown, front matter left out); empty while the run goes.
    QString modelCardText() const;

public Q_SLOTS:
    /// No run: every tab empty, the summary says how to get one.
    void clear();
    /// The page of a run that starts now, named @p name with @p config (its stored form).
    void beginLive(const QString &name, const QJsonObject &config);
    /// The store's id of the live run, once its record exists.
    void setLiveRunId(qint64 runId);
    void addLiveSample(const gw::PowerSample &sample);
    /// A step the live run finished (RunJob::stepFinished's map): its figures go onto the curves.
    void addLiveStep(const QVariantMap &step);

Q_SIGNALS:
    /// The person wants a new run from this run's config (stored JSON).
    void newRunRequested(const QJsonObject &config);
    /// The person wants a report of this run alone.
    void reportRequested(qint64 runId);

private:
    void showCurves(const RunReport &report);
    /// The graph of the curve @p name (see curveNames()), made on first use.
    QCPGraph *curve(const QString &name);
    void rescaleCurves();
    void placeLegend(const QJsonObject &config);
    void showLiveSummary();
    /// The parts tab for @p parts, or none when there are none.
    void showParts(const std::vector<RunReport::Part> &parts, const QString &energySource = QString(),
                   const QMap<QString, QString> &descriptions = {});
    /// A live run's step of one part (a client, a variant): its figures join the parts tab.
    void addLivePart(const QString &scope, const QVariantMap &step);

    qint64 runId_ = 0;
    QJsonObject config_;
    bool live_ = false;
    QString liveName_;
    QDateTime liveStart_;
    PowerSample lastSample_;
    QString energySource_; ///< measured or estimated: this machine's curves say which
    QTabWidget *tabs_;
    QLabel *summary_;
    LivePowerPlot *power_;
    QCustomPlot *curves_;
    QTableWidget *phases_;
    QPlainTextEdit *configText_;
    QPlainTextEdit *hardware_;
    QTextBrowser *modelCard_;
    QPushButton *report_;
    QTableWidget *artifacts_;
    RunPartsView *parts_;
    std::vector<RunReport::Part> liveParts_;
    QTimer *partsRefresh_;
};

} // namespace gw
