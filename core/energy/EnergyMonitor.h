#pragma once
#include "energy/EnergyAccumulator.h"
#include "energy/PowerSample.h"
#include "energy/PowerSource.h"

#include <QMutex>
#include <QObject>
#include <QWaitCondition>
#include <memory>
#include <vector>

class QThread;

namespace gw {

/// Samples a PowerSource on its own thread at a fixed rate, integrates energy (PUE included) and
/// keeps the samples. sampleTaken is emitted from the sampler thread; connect with the default
/// (auto) connection and receivers in other threads get it queued. Samples are also buffered for
/// a writer that drains them with takePending(), since the training thread has no event loop.
class EnergyMonitor : public QObject {
    Q_OBJECT
public:
    EnergyMonitor(std::unique_ptr<PowerSource> source, double sampleHz, double pue, QObject *parent = nullptr);
    ~EnergyMonitor() override;

    void start();
    /// Stops the sampler after one last sample that covers the time since the previous one.
    void stop();
    bool isRunning() const;

    std::vector<PowerSample> takePending();
    double energyJ() const;
    double durationS() const;
    QString provenance() const { return source_->provenance(); }
    QString sourceDescription() const { return source_->description(); }
    double sampleHz() const { return sampleHz_; }
    double pue() const { return pue_; }

Q_SIGNALS:
    void sampleTaken(const gw::PowerSample &sample);

private:
    void samplerLoop();
    void takeSample(double nowS);

    std::unique_ptr<PowerSource> source_;
    const double sampleHz_;
    const double pue_;
    QThread *thread_ = nullptr;
    mutable QMutex mutex_;
    QWaitCondition wake_;
    bool stopRequested_ = false;
    double startS_ = 0;
    double lastS_ = 0;
    EnergyAccumulator accumulator_;
    std::vector<PowerSample> pending_;
};

} // namespace gw
