#include "CommandLine.h"
#include "Error.h"
#include "NewRunDialog.h"
#include "PluginsDialog.h"
#include "RunParameterForm.h"
#include "config/RunParameters.h"
#include "extension/PluginManager.h"
#include "extension/RunKindRegistry.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPushButton>
#include <QSpinBox>
#include <QSettings>
#include <QStandardPaths>
#include <QTableWidget>
#include <QTabWidget>
#include <QtTest>

using namespace gw;

namespace {

RunConfig activeLearningConfig()
{
    return RunConfig::fromJsonText(R"({"name": "al", "model": {"source": "bundled"}, "training": {"mode": "linear-probe"},
        "active_learning": {"strategy": "bald", "oracle": "human", "budget": 300, "stop": {"kappa": null, "emissions_g": 2.5}},
        "energy": {"country": "DEU", "budget_wh": 12.5}})",
                                   QStringLiteral("al"));
}

RunConfig torchScriptConfig()
{
    return RunConfig::fromJsonText(R"({"name": "ts", "dataset": {"kind": "image-folder", "path": "/data/train", "test_path": "/data/test"},
        "model": {"source": "torchscript", "path": "/m/model.pt", "feature_module": "backbone", "input_size": [3, 64, 64]},
        "training": {"mode": "finetune-last", "lr": 0.0005, "green_stop": {"min_gain_per_wh": 0.02}}})",
                                   QStringLiteral("ts"));
}

} // namespace

class TestRunParameterForm : public QObject {
    Q_OBJECT
private:
    PluginManager plugins_{RunKindRegistry::instance()};

private Q_SLOTS:
    void initTestCase()
    {
        // The fixture plugin's kind is in every form of this suite, as a plugin's kind is in the app's.
        QStandardPaths::setTestModeEnabled(true); // settings under ~/.qttest, never the person's
        QSettings().clear();
        plugins_.load({QStringLiteral(GW_FIXTURE_PLUGIN_DIR)});
        QVERIFY(RunKindRegistry::instance().find(QStringLiteral("fixture-count")));
    }

    void everyParameterHasAnEditorWithItsHelp()
    {
        RunParameterForm form;
        for (const RunParameter &p : RunParameters::all()) {
            QWidget *editor = form.editor(p.key);
            QVERIFY2(editor, qPrintable(p.key));
            QVERIFY2(editor->toolTip().contains(p.help.toHtmlEscaped()), qPrintable(p.key));
            QVERIFY2(editor->focusPolicy() & Qt::TabFocus, qPrintable(p.key)); // reachable with Tab
        }
        // Each label has its own Alt+letter within its tab, and names its editor.
        for (int tab = 0; tab < form.tabs()->count(); ++tab) {
            QSet<QString> letters;
            for (QLabel *label : form.tabs()->widget(tab)->findChildren<QLabel *>()) {
                if (!label->buddy())
                    continue;
                const int amp = label->text().indexOf(QLatin1Char('&'));
                QVERIFY2(amp >= 0, qPrintable(label->text()));
                const QString letter = label->text().mid(amp + 1, 1).toLower();
                QVERIFY2(!letters.contains(letter), qPrintable(label->text()));
                letters.insert(letter);
            }
        }
        // Run and data, Model and training, Semi-supervised, Across hosts, Active learning, Energy and carbon, Pretraining, and the fixture plugin's Counting.
        QSet<QString> pages;
        for (const RunParameterSection &section : RunParameters::sections())
            pages.insert(section.page);
        QCOMPARE(form.tabs()->count(), int(pages.size()));
        QVERIFY(pages.contains(QStringLiteral("Counting")));
    }

    void theFormShowsAndReturnsEveryConfig_data()
    {
        QTest::addColumn<QString>("json");
        QTest::newRow("defaults") << QString::fromStdString(RunConfig().toJsonText());
        QTest::newRow("embedded default") << QString::fromStdString(RunConfig::fromFile(CommandLine::defaultConfigPath()).toJsonText());
        QTest::newRow("active learning") << QString::fromStdString(activeLearningConfig().toJsonText());
        QTest::newRow("torchscript") << QString::fromStdString(torchScriptConfig().toJsonText());
        QTest::newRow("pretrain") << QString::fromStdString(RunConfig::fromJsonText(R"({"kind": "pretrain", "pretrain": {"temperature": 0.35}, "training": {"epochs": 4}})",
                                                                                   QStringLiteral("p")).toJsonText());
    }

    void theFormShowsAndReturnsEveryConfig()
    {
        QFETCH(QString, json);
        const RunConfig config = RunConfig::fromJsonText(json.toStdString(), QStringLiteral("t"));
        RunParameterForm form;
        form.setConfig(config);
        QCOMPARE(QString::fromStdString(form.config().toJsonText()), json);
    }

    void editorsChangeTheConfig()
    {
        RunParameterForm form;
        form.setConfig(activeLearningConfig());
        QSignalSpy changed(&form, &RunParameterForm::changed);
        qobject_cast<QSpinBox *>(form.editor(QStringLiteral("dataset.train_subset")))->setValue(900);
        QVERIFY(changed.count() >= 1);
        auto *budget = qobject_cast<QDoubleSpinBox *>(form.editor(QStringLiteral("energy.budget_wh")));
        QCOMPARE(form.config().energy.budgetWh.value_or(-1), 12.5);
        budget->setValue(budget->minimum()); // the special value: no budget
        QCOMPARE(budget->text(), QStringLiteral("none"));
        auto *kappa = qobject_cast<QDoubleSpinBox *>(form.editor(QStringLiteral("active_learning.stop.kappa")));
        QCOMPARE(kappa->text(), QStringLiteral("never"));
        kappa->setValue(0.95);
        auto *strategy = qobject_cast<QComboBox *>(form.editor(QStringLiteral("active_learning.strategy")));
        strategy->setCurrentIndex(strategy->findData(QStringLiteral("core-set")));
        const RunConfig edited = form.config();
        QCOMPARE(edited.dataset.trainSubset, std::int64_t(900));
        QVERIFY(!edited.energy.budgetWh);
        QCOMPARE(edited.activeLearning.stop.kappa.value_or(-1), 0.95);
        QCOMPARE(edited.activeLearning.strategy, QStringLiteral("core-set"));

        // Another kind hides the section and leaves it out of the config; what both read stays.
        form.setKind(QStringLiteral("finetune"));
        QVERIFY(!form.isShown(QStringLiteral("active_learning.strategy")));
        QVERIFY(form.isShown(QStringLiteral("training.epochs")));
        QVERIFY(!form.toJson().contains("active_learning"));
        QVERIFY(!form.config().activeLearning.enabled);
        QCOMPARE(form.config().dataset.trainSubset, std::int64_t(900));
    }

    void extremeValuesSurviveTheForm()
    {
        // A 64-bit seed and a learning rate of 1e-7 are valid configs: the form must not clamp or round them.
        RunConfig config;
        config.seed = 9000000000000000000ULL;
        config.training.seed = config.seed;
        config.training.learningRate = 1e-7;
        config.training.weightDecay = 0.00025;
        RunParameterForm form;
        form.setConfig(config);
        QCOMPARE(form.config().seed, config.seed);
        QCOMPARE(form.config().training.learningRate, 1e-7);
        QCOMPARE(form.config().training.weightDecay, 0.00025);
        auto *lr = qobject_cast<QDoubleSpinBox *>(form.editor(QStringLiteral("training.lr")));
        QCOMPARE(lr->text(), QStringLiteral("1e-07"));
        lr->selectAll(); // typed as a person would
        QTest::keyClicks(lr, QStringLiteral("0.0003"));
        lr->interpretText();
        QCOMPARE(form.config().training.learningRate, 0.0003);
    }

    void anInvalidFormIsAnErrorNamingTheKey()
    {
        RunParameterForm form;
        form.setKind(QStringLiteral("finetune"));
        auto *kind = qobject_cast<QComboBox *>(form.editor(QStringLiteral("dataset.kind")));
        kind->setCurrentIndex(kind->findData(QStringLiteral("image-folder")));
        try {
            form.config();
            QFAIL("an image folder without a path was accepted");
        } catch (const Error &e) {
            QVERIFY2(e.message().contains(QStringLiteral("'dataset.path' is required")), qPrintable(e.message()));
        }
        qobject_cast<QLineEdit *>(form.editor(QStringLiteral("model.input_size")))->setText(QStringLiteral("3, 64"));
        QVERIFY_THROWS_EXCEPTION(Error, form.config());
    }

    void theDialogRefusesToStartAnInvalidRunAndSaysWhy()
    {
        NewRunDialog dialog(RunConfig::defaultsFor(QStringLiteral("finetune")));
        auto *problem = dialog.findChild<QLabel *>(QStringLiteral("configProblem"));
        QPushButton *start = dialog.findChild<QDialogButtonBox *>()->button(QDialogButtonBox::Ok);
        QVERIFY(start->isEnabled());
        auto *source = qobject_cast<QComboBox *>(dialog.form()->editor(QStringLiteral("model.source")));
        source->setCurrentIndex(source->findData(QStringLiteral("torchscript")));
        QVERIFY(!start->isEnabled());
        QVERIFY2(problem->text().contains(QStringLiteral("“")) && !problem->text().contains(QStringLiteral("model.")), qPrintable(problem->text()));
        source->setCurrentIndex(source->findData(QStringLiteral("bundled")));
        QVERIFY(start->isEnabled());
        QVERIFY(problem->text().isEmpty());
    }

    // Alt+letter reaches one control: no label of the dialog shares its letter with another in view.
    void everyMnemonicOfTheDialogIsItsOwn()
    {
        NewRunDialog dialog(RunConfig::defaultsFor(QStringLiteral("finetune")));
        const auto mnemonicOf = [](const QString &text) -> QChar {
            for (int i = 0; i + 1 < text.size(); ++i) {
                if (text[i] != QLatin1Char('&'))
                    continue;
                if (text[i + 1] == QLatin1Char('&')) {
                    ++i; // "&&" is an ampersand
                    continue;
                }
                return text[i + 1].toLower();
            }
            return {};
        };
        QTabWidget *tabs = dialog.form()->tabs();
        for (int t = 0; t < tabs->count(); ++t) {
            QMap<QChar, QString> seen;
            for (QWidget *w : dialog.findChildren<QWidget *>()) {
                if (tabs->isAncestorOf(w) && !tabs->widget(t)->isAncestorOf(w))
                    continue; // another tab's labels are not in view
                QString text;
                if (auto *label = qobject_cast<QLabel *>(w))
                    text = label->text();
                else if (auto *button = qobject_cast<QAbstractButton *>(w))
                    text = button->text();
                else if (auto *group = qobject_cast<QGroupBox *>(w))
                    text = group->title();
                const QChar m = mnemonicOf(text);
                if (m.isNull())
                    continue;
                if (auto *label = qobject_cast<QLabel *>(w))
                    QVERIFY2(label->buddy(), qPrintable(QStringLiteral("\"%1\" has no buddy: its & shows as text").arg(text)));
                QVERIFY2(!seen.contains(m), qPrintable(QStringLiteral("Alt+%1: \"%2\" and \"%3\" on tab %4").arg(m, seen.value(m), text, tabs->tabText(t))));
                seen.insert(m, text);
            }
        }
    }

    // Every label of the dialog shows its whole text at the dialog's own size, on every tab.
    void noLabelIsClipped()
    {
        NewRunDialog dialog(RunConfig::defaultsFor(QStringLiteral("finetune")));
        dialog.show();
        QVERIFY(QTest::qWaitForWindowExposed(&dialog));
        QTabWidget *tabs = dialog.form()->tabs();
        for (int t = 0; t < tabs->count(); ++t) {
            tabs->setCurrentIndex(t);
            QTest::qWait(50);
            for (QLabel *label : dialog.findChildren<QLabel *>()) {
                if (!label->isVisible() || label->wordWrap() || label->text().isEmpty())
                    continue;
                const int needed = label->fontMetrics().horizontalAdvance(QString(label->text()).remove(QLatin1Char('&')));
                QVERIFY2(label->contentsRect().width() >= needed,
                         qPrintable(QStringLiteral("\"%1\" on tab %2: %3 px for %4 px of text").arg(label->text(), tabs->tabText(t)).arg(label->contentsRect().width()).arg(needed)));
            }
        }
    }

    // The dialog names the field as it shows it, not the config key behind it.
    void theDialogsProblemNamesTheField()
    {
        NewRunDialog dialog(RunConfig::defaultsFor(QStringLiteral("finetune")));
        const QString said = dialog.form()->inFieldTerms(QStringLiteral("The form: 'dataset.train_subset' must be between 0 and 10 (got 11); see dataset.path"));
        QVERIFY2(said.contains(QStringLiteral("“Training samples” on ")), qPrintable(said));
        QVERIFY2(!said.contains(QStringLiteral("dataset.")), qPrintable(said));
        QVERIFY2(!said.contains(QLatin1Char('\'')), qPrintable(said));
    }

    void savingAnInvalidFormSaysWhyInsteadOfFailing()
    {
        NewRunDialog dialog(RunConfig::defaultsFor(QStringLiteral("finetune")));
        auto *source = qobject_cast<QComboBox *>(dialog.form()->editor(QStringLiteral("model.source")));
        source->setCurrentIndex(source->findData(QStringLiteral("torchscript"))); // no path, no input size
        QPushButton *save = nullptr;
        for (QPushButton *button : dialog.findChildren<QPushButton *>())
            if (button->text().remove(QLatin1Char('&')) == QStringLiteral("Save config…"))
                save = button;
        QVERIFY(save);
        QString shown;
        QTimer::singleShot(0, [&shown] {
            if (auto *box = qobject_cast<QMessageBox *>(QApplication::activeModalWidget())) {
                shown = box->text();
                box->close();
            }
        });
        save->click(); // before: the file name came from the invalid form and the Error escaped the slot
        QVERIFY2(shown.contains(QStringLiteral("not a valid config yet")) && shown.contains(QStringLiteral("model.")), qPrintable(shown));
    }

    void choosingActiveLearningPicksAProbeOnTheBackbone()
    {
        NewRunDialog dialog(RunConfig{});
        QComboBox *chooser = dialog.form()->kindChooser();
        QCOMPARE(chooser->currentData().toString(), QStringLiteral("train"));
        QVERIFY(!dialog.form()->isShown(QStringLiteral("model.source"))); // the small CNN needs no model
        chooser->setCurrentIndex(chooser->findData(QStringLiteral("active-learning")));
        const RunConfig config = dialog.config();
        QVERIFY(config.activeLearning.enabled);
        QCOMPARE(config.kind, QStringLiteral("active-learning"));
        QCOMPARE(config.training.mode, QStringLiteral("linear-probe"));
        QCOMPARE(config.model.source, QStringLiteral("bundled"));
        QVERIFY(dialog.form()->isShown(QStringLiteral("model.source")));
        QVERIFY2(dialog.commandLine().contains(QStringLiteral("--kind=active-learning")), qPrintable(dialog.commandLine()));
    }

    void theKindChooserListsEveryKindAndTheFormFollowsIt()
    {
        RunParameterForm form;
        QStringList ids;
        for (int i = 0; i < form.kindChooser()->count(); ++i)
            ids << form.kindChooser()->itemData(i).toString();
        for (const QString &id : {QStringLiteral("train"), QStringLiteral("finetune"), QStringLiteral("active-learning"), QStringLiteral("pretrain")})
            QVERIFY2(ids.contains(id), qPrintable(ids.join(QLatin1Char(' '))));
        form.setKind(QStringLiteral("pretrain"));
        QVERIFY(form.isShown(QStringLiteral("pretrain.temperature")));
        QVERIFY(!form.isShown(QStringLiteral("training.mode")));
        QCOMPARE(qobject_cast<QSpinBox *>(form.editor(QStringLiteral("training.batch_size")))->value(), 256); // the kind's own default
        const RunConfig config = form.config();
        QCOMPARE(config.kind, QStringLiteral("pretrain"));
        QCOMPARE(config.pretrain.temperature, 0.2);
    }

    void aPluginsKindGetsAGeneratedForm()
    {
        NewRunDialog dialog(RunConfig{});
        QComboBox *chooser = dialog.form()->kindChooser();
        const int index = chooser->findData(QStringLiteral("fixture-count"));
        QVERIFY(index >= 0);
        QCOMPARE(chooser->itemText(index), QStringLiteral("Count (test fixture)"));
        chooser->setCurrentIndex(index);
        auto *steps = qobject_cast<QSpinBox *>(dialog.form()->editor(QStringLiteral("count.steps")));
        auto *scale = qobject_cast<QDoubleSpinBox *>(dialog.form()->editor(QStringLiteral("count.scale")));
        QVERIFY(steps && scale);
        QVERIFY(dialog.form()->isShown(QStringLiteral("count.steps")));
        QVERIFY(!dialog.form()->isShown(QStringLiteral("training.epochs"))); // the kind reads only energy besides its own
        QCOMPARE(steps->value(), 5);
        QVERIFY2(steps->toolTip().contains(QStringLiteral("How many steps to count.")), qPrintable(steps->toolTip()));
        steps->setValue(12);
        scale->setValue(0.5);
        const RunConfig config = dialog.config();
        QCOMPARE(config.kind, QStringLiteral("fixture-count"));
        QCOMPARE(RunParameters::find(QStringLiteral("count.steps"))->get(config).get<int>(), 12);
        // For looking at it (the generated page of a plugin's kind): GW_TEST_SCREENSHOT_DIR=folder.
        if (const QString shots = qEnvironmentVariable("GW_TEST_SCREENSHOT_DIR"); !shots.isEmpty()) {
            dialog.show();
            for (int i = 0; i < dialog.form()->tabs()->count(); ++i)
                if (dialog.form()->tabs()->tabText(i) == QStringLiteral("Counting"))
                    dialog.form()->tabs()->setCurrentIndex(i);
            QVERIFY(QTest::qWaitForWindowExposed(&dialog));
            dialog.grab().save(QDir(shots).filePath(QStringLiteral("new-run-plugin-kind.png")));
        }
        const QString line = dialog.commandLine();
        for (const char *option : {"--kind=fixture-count", "--count.steps=12", "--count.scale=0.5"})
            QVERIFY2(line.contains(QLatin1String(option)), qPrintable(line));
        // The kind's own cross-key check speaks in the dialog as the built-in ones do.
        scale->setValue(13);
        QPushButton *start = dialog.findChild<QDialogButtonBox *>()->button(QDialogButtonBox::Ok);
        QVERIFY(!start->isEnabled());
        QVERIFY2(dialog.findChild<QLabel *>(QStringLiteral("configProblem"))->text().contains(QStringLiteral("unlucky")), qPrintable(dialog.findChild<QLabel *>(QStringLiteral("configProblem"))->text()));
    }

    void thePluginsDialogListsEachPluginAndKeepsTheChoice()
    {
        PluginsDialog dialog(plugins_);
        QTableWidget *table = dialog.table();
        QCOMPARE(table->rowCount(), int(plugins_.plugins().size()));
        QMap<QString, int> rowOf;
        for (int row = 0; row < table->rowCount(); ++row)
            rowOf.insert(QFileInfo(plugins_.plugins()[std::size_t(row)].file).completeBaseName(), row);
        const int counting = rowOf.value(QStringLiteral("libgw_fixture_counting"), -1), wrongApi = rowOf.value(QStringLiteral("libgw_fixture_wrong_api"), -1);
        QVERIFY(counting >= 0 && wrongApi >= 0);
        QCOMPARE(table->item(counting, 3)->text(), QStringLiteral("loaded"));
        QCOMPARE(table->item(counting, 4)->text(), QStringLiteral("fixture-count"));
        QCOMPARE(table->item(wrongApi, 3)->text(), QStringLiteral("failed"));
        QVERIFY(table->item(wrongApi, 5)->text().contains(QStringLiteral("plugin API version 99")));
        if (const QString shots = qEnvironmentVariable("GW_TEST_SCREENSHOT_DIR"); !shots.isEmpty()) {
            dialog.show();
            QVERIFY(QTest::qWaitForWindowExposed(&dialog));
            dialog.grab().save(QDir(shots).filePath(QStringLiteral("plugins-dialog.png")));
        }
        // Switched off, it is kept off in the settings (from the next start).
        table->item(counting, 0)->setCheckState(Qt::Unchecked);
        QVERIFY(QSettings().value(QStringLiteral("plugins/disabled")).toStringList().contains(QStringLiteral("fixture-counting")));
        table->item(counting, 0)->setCheckState(Qt::Checked);
        QVERIFY(!QSettings().value(QStringLiteral("plugins/disabled")).toStringList().contains(QStringLiteral("fixture-counting")));
    }

    void theShownCommandLineRunsTheSameConfig()
    {
        NewRunDialog dialog(activeLearningConfig());
        const QString line = dialog.commandLine();
        QVERIFY2(line.startsWith(QStringLiteral("green-workbench run --")), qPrintable(line));
        QVERIFY2(line.contains(QStringLiteral("--active_learning.strategy=bald")), qPrintable(line));
        // Apply the options the way `green-workbench run` does, over the embedded default.
        const RunConfig base = RunConfig::fromFile(CommandLine::defaultConfigPath());
        nlohmann::json root = RunConfig::parseJson(base.toJsonText(), QStringLiteral("base"));
        const QStringList words = QProcess::splitCommand(line);
        for (const QString &word : words.mid(2)) {
            QVERIFY(word.startsWith(QStringLiteral("--")));
            const QString assignment = word.mid(2);
            RunParameters::overrideInJson(root, assignment.section(QLatin1Char('='), 0, 0), assignment.section(QLatin1Char('='), 1), word);
        }
        QCOMPARE(RunConfig::fromJson(root, QStringLiteral("line")).toJsonText(), dialog.config().toJsonText());
    }
};

QTEST_MAIN(TestRunParameterForm)
#include "tst_runparameterform.moc"
