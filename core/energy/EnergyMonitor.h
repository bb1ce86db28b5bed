#pragma once
#include "energy/EnergyAccumulator.h"
#include "energy/PowerSample.h"
#include "energy/PowerSource.h"

#include <QMap>
#include <QMutex>
#include <QObject>
#include <QStringList>
#include <QWaitCondition>
#include <memory>
#include <optional>
#include <vector>

class QThread;

namespace gw {

/// A finished energy window: a named phase of the work between begin and end, of a scope (the
/// part of the run it is for: "variant int8", "client 17"; empty: the run as a whole).
struct EnergyWindow {
    QString phase;
    QString scope;
    int depth = 0;          ///< 0 for an outermost window
    double startS = 0;      ///< since the monitor started
    double endS = 0;
    double energyJ = 0;     ///< everything spent inside, nested windows included
    double ownEnergyJ = 0;  ///< only while this window was the innermost one
};

/// Samples a PowerSource on its own thread at a fixed rate, integrates energy (PUE included) and
/// emissions (each interval's energy x the intensity in force), and attributes every joule to the
/// innermost open energy window, or to "idle" when none is open. Opening or closing a window takes
/// a sample at once, so no interval straddles a boundary.
///
/// sampleTaken is emitted from the thread that took the sample; connect with the default (auto)
/// connection and receivers in other threads get it queued. Samples and finished windows are also
/// buffered for a writer that drains them, since the training thread has no event loop.
class EnergyMonitor : public QObject {
    Q_OBJECT
public:
    static constexpr double kMinSampleHz = 0.2;
    static constexpr double kMaxSampleHz = 20.0;

    EnergyMonitor(std::unique_ptr<PowerSource> source, double sampleHz, double pue, QObject *parent = nullptr);
    ~EnergyMonitor() override;

    void start();
    /// Closes open windows and stops the sampler after one last sample.
    void stop();
    bool isRunning() const;

    void beginWindow(const QString &phase, const QString &scope = QString());
    /// Ends the innermost open window and returns it (nothing when none is open).
    std::optional<EnergyWindow> endWindow();
    /// The grid intensity from now on (g/kWh).
    void setIntensity(double gPerKwh);
    /// Changes the sampling rate while running (e.g. faster while a live view is open).
    void setSampleHz(double sampleHz);

    std::vector<PowerSample> takePending();
    std::vector<EnergyWindow> takeFinishedWindows();
    double energyJ() const;
    double emissionsG() const;
    double durationS() const;
    /// Energy per component so far, PUE included.
    double cpuEnergyJ() const;
    double gpuEnergyJ() const;
    double ramEnergyJ() const;
    /// Energy per phase ("idle" for the time outside every window), PUE included.
    QMap<QString, double> energyByPhaseJ() const;
    QMap<QString, double> durationByPhaseS() const;
    double elapsedS() const;

    QString provenance() const { return source_->provenance(); }
    const PowerSource &source() const { return *source_; }
    double sampleHz() const;
    double pue() const { return pue_; }

Q_SIGNALS:
    void sampleTaken(const gw::PowerSample &sample);

private:
    struct OpenWindow {
        QString phase;
        QString scope;
        double startS = 0;
        double energyAtStartJ = 0;
        double ownEnergyJ = 0;
    };

    void samplerLoop();
    void takeSample();
    static void checkRate(double sampleHz);

    std::unique_ptr<PowerSource> source_;
    double sampleHz_;
    const double pue_;
    QThread *thread_ = nullptr;
    QMutex sourceMutex_; // sources are read by one thread at a time, in sample order
    mutable QMutex mutex_;
    QWaitCondition wake_;
    bool stopRequested_ = false;
    bool rateChanged_ = false;
    double startS_ = 0;
    double lastS_ = 0;
    double intensityGPerKwh_ = 0;
    EnergyAccumulator total_;
    double cpuJ_ = 0, gpuJ_ = 0, ramJ_ = 0, emissionsG_ = 0;
    std::vector<OpenWindow> open_;
    std::vector<EnergyWindow> finished_;
    QMap<QString, double> phaseJ_;
    QMap<QString, double> phaseS_;
    std::vector<PowerSample> pending_;
};

} // namespace gw
