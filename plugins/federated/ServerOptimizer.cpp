#include "ServerOptimizer.h"

#include "Error.h"

#include <cmath>
#include <torch/torch.h>

namespace gw::federated {

QStringList ServerOptimizer::algorithms()
{
    return {QStringLiteral("fedavg"), QStringLiteral("fedprox"), QStringLiteral("fedavgm"), QStringLiteral("fedadam")};
}

double ServerOptimizer::defaultLearningRate(const QString &algorithm)
{
    return algorithm == QStringLiteral("fedadam") ? std::pow(10.0, -1.5) : 1.0;
}

ServerOptimizer::ServerOptimizer(QString algorithm, double learningRate, double beta1, double beta2, double tau)
    : algorithm_(std::move(algorithm)), lr_(learningRate), beta1_(beta1), beta2_(beta2), tau_(tau)
{
    if (!algorithms().contains(algorithm_))
        throw Error(QStringLiteral("unknown federated algorithm '%1' (known: %2)").arg(algorithm_, algorithms().join(QStringLiteral(", "))));
    if (!(lr_ > 0))
        throw Error(QStringLiteral("the server learning rate must be above 0 (got %1)").arg(lr_));
}

void ServerOptimizer::step(torch::Tensor &global, const torch::Tensor &meanUpdate)
{
    torch::NoGradGuard noGrad;
    if (algorithm_ == QStringLiteral("fedavgm")) {
        first_ = first_.defined() ? first_ * beta1_ + meanUpdate : meanUpdate.clone();
        global += lr_ * first_;
    } else if (algorithm_ == QStringLiteral("fedadam")) {
        first_ = first_.defined() ? first_ * beta1_ + meanUpdate * (1 - beta1_) : meanUpdate * (1 - beta1_);
        // Reddi et al. start the second moment at tau^2 so the first steps are not huge.
        second_ = (second_.defined() ? second_ : torch::full_like(meanUpdate, tau_ * tau_)) * beta2_ + meanUpdate.square() * (1 - beta2_);
        global += lr_ * first_ / (second_.sqrt() + tau_);
    } else {
        global += lr_ * meanUpdate;
    }
}

} // namespace gw::federated
