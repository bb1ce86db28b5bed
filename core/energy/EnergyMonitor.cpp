#include "energy/EnergyMonitor.h"

#include "Error.h"

#include <QThread>
#include <chrono>
#include <cmath>

namespace gw {

namespace {
double nowSeconds()
{
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}
} // namespace

EnergyMonitor::EnergyMonitor(std::unique_ptr<PowerSource> source, double sampleHz, double pue, QObject *parent)
    : QObject(parent), source_(std::move(source)), sampleHz_(sampleHz), pue_(pue)
{
    if (!(sampleHz_ >= 0.2 && sampleHz_ <= 20))
        throw Error(QStringLiteral("energy sampling rate %1 Hz is outside 0.2-20 Hz").arg(sampleHz_));
    if (!(pue_ >= 1.0))
        throw Error(QStringLiteral("PUE %1 is below 1.0").arg(pue_));
    qRegisterMetaType<gw::PowerSample>();
}

EnergyMonitor::~EnergyMonitor()
{
    stop();
}

void EnergyMonitor::start()
{
    if (thread_)
        return;
    source_->read(); // open a fresh averaging interval at the start
    startS_ = lastS_ = nowSeconds();
    stopRequested_ = false;
    thread_ = QThread::create([this] { samplerLoop(); });
    thread_->setObjectName(QStringLiteral("gw-energy-sampler"));
    thread_->start();
}

void EnergyMonitor::stop()
{
    if (!thread_)
        return;
    {
        QMutexLocker lock(&mutex_);
        stopRequested_ = true;
        wake_.wakeAll();
    }
    thread_->wait();
    delete thread_;
    thread_ = nullptr;
}

bool EnergyMonitor::isRunning() const
{
    return thread_ != nullptr;
}

void EnergyMonitor::samplerLoop()
{
    const double period = 1.0 / sampleHz_;
    // Ticks are scheduled on a fixed grid from the start so the rate does not drift with the time
    // each sample takes.
    for (long tick = 1;; ++tick) {
        const double due = startS_ + double(tick) * period;
        QMutexLocker lock(&mutex_);
        while (!stopRequested_) {
            const double waitS = due - nowSeconds();
            if (waitS <= 0)
                break;
            wake_.wait(&mutex_, QDeadlineTimer(static_cast<qint64>(std::ceil(waitS * 1000))));
        }
        const bool stopping = stopRequested_;
        lock.unlock();
        takeSample(nowSeconds());
        if (stopping)
            return;
    }
}

void EnergyMonitor::takeSample(double nowS)
{
    const PowerReading reading = source_->read();
    PowerSample sample;
    {
        QMutexLocker lock(&mutex_);
        sample.intervalS = nowS - lastS_;
        lastS_ = nowS;
        sample.elapsedS = nowS - startS_;
        sample.cpuPowerW = reading.cpuPowerW;
        sample.ramPowerW = reading.ramPowerW;
        sample.totalPowerW = (reading.cpuPowerW + reading.ramPowerW) * pue_;
        accumulator_.add(sample.intervalS, sample.totalPowerW);
        sample.energyJ = accumulator_.energyJ();
        sample.source = source_->provenance();
        pending_.push_back(sample);
    }
    Q_EMIT sampleTaken(sample);
}

std::vector<PowerSample> EnergyMonitor::takePending()
{
    QMutexLocker lock(&mutex_);
    std::vector<PowerSample> out;
    out.swap(pending_);
    return out;
}

double EnergyMonitor::energyJ() const
{
    QMutexLocker lock(&mutex_);
    return accumulator_.energyJ();
}

double EnergyMonitor::durationS() const
{
    QMutexLocker lock(&mutex_);
    return accumulator_.durationS();
}

} // namespace gw
