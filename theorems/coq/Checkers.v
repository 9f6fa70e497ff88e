(* Boolean checkers for the definitions of Theory.v, each with a proof that "true" implies the
   proposition. They run inside Coq (vm_compute) on the data of a generated certificate file;
   nothing the certificate says is trusted, only these proofs. docs/trust.md, "The Coq check". *)
From Coq Require Import Arith NArith List Bool Lia Relations FMapPositive.
From Sparsecert Require Import Sets Index Theory Facts.
Import ListNotations.
Local Open Scope N_scope.

(* --- Well-formedness ----------------------------------------------------------------- *)

Definition row_ok (n : N) (r : iset) : bool :=
  forallb (fun iv => (fst iv <=? snd iv) && (snd iv <? n)) r.

Definition inb (x : N) (l : list N) : bool := existsb (N.eqb x) l.

Lemma inb_spec x l : inb x l = true <-> In x l.
Proof.
  unfold inb; rewrite existsb_exists. split.
  - intros [y [Hy E]]; apply N.eqb_eq in E; now subst.
  - intro H; exists x; split; auto; apply N.eqb_refl.
Qed.

Definition wf_check (P : pattern) : bool :=
  (1 <=? p P)%nat &&
  forallb (fun L => (length L =? N.to_nat (n P))%nat && forallb (row_ok (n P)) L) (layers P) &&
  forallb (fun x => x <? n P) (extra P) && nodupb (extra P).

Lemma row_ok_sound n r j : row_ok n r = true -> mem j r = true -> j < n.
Proof.
  unfold row_ok; rewrite forallb_forall; intros H Hj.
  apply mem_spec in Hj as [iv [Hiv Hj]]. specialize (H iv Hiv).
  apply andb_true_iff in H as [_ H]; apply N.ltb_lt in H; lia.
Qed.

Theorem wf_check_sound P : wf_check P = true -> WellFormed P.
Proof.
  unfold wf_check; intro H.
  apply andb_true_iff in H as [H Hnd]; apply andb_true_iff in H as [H Hex];
  apply andb_true_iff in H as [Hp HL].
  rewrite forallb_forall in HL, Hex.
  repeat split.
  - now apply Nat.leb_le.
  - intros l Hl. assert (Hin : In (nth l (layers P) []) (layers P)) by (apply nth_In; exact Hl).
    specialize (HL _ Hin). apply andb_true_iff in HL as [HL _]. now apply Nat.eqb_eq.
  - intros l k j Hl Hk Ha. assert (Hin : In (nth l (layers P) []) (layers P)) by (apply nth_In; exact Hl).
    specialize (HL _ Hin). apply andb_true_iff in HL as [HLen Hrows]. apply Nat.eqb_eq in HLen.
    rewrite forallb_forall in Hrows. eapply row_ok_sound; [|exact Ha].
    apply Hrows. unfold row. apply nth_In. lia.
  - intros x Hx. apply N.ltb_lt, Hex, Hx.
  - now apply nodupb_sound.
Qed.

(* Row k of pattern l, read from the list of rows (used when a checker walks the rows in order). *)
Lemma row_nth P l k : row P l k = nth (N.to_nat k) (nth l (layers P) []) [].
Proof. reflexivity. Qed.

Lemma layer_length P l : WellFormed P -> (l < p P)%nat -> length (nth l (layers P) []) = N.to_nat (n P).
Proof. intros [_ [H _]] Hl; now apply H. Qed.

(* A property of every row of every pattern, from a check that walks all rows. *)
Definition forall_rows (P : pattern) (f : nat -> N -> iset -> bool) : bool :=
  (fix go (l : nat) (Ls : list (list iset)) : bool :=
     match Ls with [] => true | L :: Ls' => forall_idx (f l) 0 L && go (Datatypes.S l) Ls' end) O (layers P).

Lemma forall_rows_sound P f : WellFormed P -> forall_rows P f = true ->
  forall l k, (l < p P)%nat -> k < n P -> f l k (row P l k) = true.
Proof.
  intros Hw H l k Hl Hk. assert (Hlen := layer_length P l Hw Hl). unfold forall_rows, row, p in *.
  assert (G : forall Ls l0 l, (fix go (l : nat) (Ls : list (list iset)) : bool :=
     match Ls with [] => true | L :: Ls' => forall_idx (f l) 0 L && go (Datatypes.S l) Ls' end) l0 Ls = true ->
     (l < length Ls)%nat -> (N.to_nat k < length (nth l Ls []))%nat ->
     f (l0 + l)%nat k (nth (N.to_nat k) (nth l Ls []) []) = true).
  { induction Ls as [|L Ls IH]; intros l0 l' G1 G2 G3; simpl in *; [lia|].
    apply andb_true_iff in G1 as [G1 G4]. destruct l' as [|l'].
    - rewrite Nat.add_0_r. now apply (forall_idx0 _ [] L) with (k := k) in G1.
    - replace (l0 + Datatypes.S l')%nat with (Datatypes.S l0 + l')%nat by lia. apply IH; auto; lia. }
  apply (G _ O l H Hl). lia.
Qed.

(* --- Condition 1: self-attention ------------------------------------------------------ *)

Definition self_check (P : pattern) : bool := forall_rows P (fun _ k r => mem k r).

Theorem self_check_sound P : WellFormed P -> self_check P = true -> SelfAttention P.
Proof.
  intros Hw H l k Hl Hk. exact (forall_rows_sound P _ Hw H l k Hl Hk).
Qed.

(* Every (pattern, token) pair that misses itself, in (pattern, token) order. *)
Definition missing_pairs (P : pattern) : list (nat * N) :=
  (fix go (l : nat) (Ls : list (list iset)) : list (nat * N) :=
     match Ls with
     | [] => []
     | L :: Ls' => map (fun k => (l, k)) (select_idx (fun k r => negb (mem k r)) 0 L) ++ go (Datatypes.S l) Ls'
     end) O (layers P).

Lemma missing_pairs_sound P l k : WellFormed P -> In (l, k) (missing_pairs P) ->
  (l < p P)%nat /\ k < n P /\ ~ attends P l k k.
Proof.
  intros Hw H. unfold missing_pairs, attends, row, p in *.
  pose proof (fun l => layer_length P l Hw) as Hlen. unfold p in Hlen.
  assert (G : forall l0 Ls, In (l, k) ((fix go (l : nat) (Ls : list (list iset)) : list (nat * N) :=
     match Ls with
     | [] => []
     | L :: Ls' => map (fun k => (l, k)) (select_idx (fun k r => negb (mem k r)) 0 L) ++ go (Datatypes.S l) Ls'
     end) l0 Ls) -> (l0 <= l)%nat /\ (l - l0 < length Ls)%nat /\
       (N.to_nat k < length (nth (l - l0) Ls []))%nat /\ mem k (nth (N.to_nat k) (nth (l - l0) Ls []) []) = false).
  { intros l0 Ls; revert l0; induction Ls as [|L Ls IH]; intros l0 Hin; simpl in Hin; [tauto|].
    apply in_app_or in Hin as [Hin|Hin].
    - apply in_map_iff in Hin as [x [Ex Hx]]. injection Ex as <- <-.
      apply (select_idx_spec _ []) in Hx as [_ [Hx1 Hx2]]. rewrite N.sub_0_r in *.
      rewrite Nat.sub_diag; simpl. repeat split; auto; try lia. now apply negb_true_iff in Hx2.
    - destruct (IH _ Hin) as [H1 [H2 [H3 H4]]].
      replace (l - l0)%nat with (Datatypes.S (l - Datatypes.S l0)) by lia. simpl. repeat split; auto; lia. }
  destruct (G O (layers P) H) as [_ [H2 [H3 H4]]]. rewrite Nat.sub_0_r in *.
  rewrite Hlen in H3 by exact H2. repeat split; auto; [lia|]. rewrite H4; discriminate.
Qed.

Lemma select_missing k : forall L i, i <= k -> (N.to_nat (k - i) < length L)%nat ->
  mem k (nth (N.to_nat (k - i)) L []) = false ->
  In k (select_idx (fun k r => negb (mem k r)) i L).
Proof.
  induction L as [|x L IHL]; intros i Hi Hlt Hm; simpl in *; [lia|].
  destruct (N.eq_dec k i) as [->|Hne].
  - rewrite N.sub_diag in Hm; simpl in Hm. rewrite Hm; simpl; now left.
  - replace (N.to_nat (k - i)) with (Datatypes.S (N.to_nat (k - (i + 1)))) in * by lia.
    destruct (negb (mem i x)); [right|]; apply IHL; auto; lia.
Qed.

Lemma missing_pairs_complete P l k : WellFormed P -> (l < p P)%nat -> k < n P -> ~ attends P l k k ->
  In (l, k) (missing_pairs P).
Proof.
  intros Hw Hl Hk Ha. assert (Hlen := layer_length P l Hw Hl). unfold missing_pairs, attends, row, p in *.
  assert (G : forall Ls l0 l', (l' < length Ls)%nat -> (N.to_nat k < length (nth l' Ls []))%nat ->
     mem k (nth (N.to_nat k) (nth l' Ls []) []) = false ->
     In ((l0 + l')%nat, k) ((fix go (l : nat) (Ls : list (list iset)) : list (nat * N) :=
     match Ls with
     | [] => []
     | L :: Ls' => map (fun k => (l, k)) (select_idx (fun k r => negb (mem k r)) 0 L) ++ go (Datatypes.S l) Ls'
     end) l0 Ls)).
  { induction Ls as [|L Ls IH]; intros l0 l' G1 G2 G3; simpl in *; [lia|].
    apply in_or_app. destruct l' as [|l'].
    - left. rewrite Nat.add_0_r. apply in_map_iff. exists k; split; auto.
      apply select_missing; rewrite ?N.sub_0_r; auto; lia.
    - right. replace (l0 + Datatypes.S l')%nat with (Datatypes.S l0 + l')%nat by lia. apply IH; auto; lia. }
  refine (G (layers P) O l Hl _ _).
  - unfold iset in *; lia.
  - destruct (mem k _); [contradiction Ha|]; reflexivity.
Qed.

Definition pair_eqb (a b : nat * N) : bool := Nat.eqb (fst a) (fst b) && N.eqb (snd a) (snd b).

Fixpoint list_eqb {A} (eqb : A -> A -> bool) (a b : list A) : bool :=
  match a, b with
  | [], [] => true
  | x :: a', y :: b' => eqb x y && list_eqb eqb a' b'
  | _, _ => false
  end.

Lemma list_eqb_sound {A} (eqb : A -> A -> bool) : (forall x y, eqb x y = true -> x = y) ->
  forall a b, list_eqb eqb a b = true -> a = b.
Proof.
  intros He a; induction a as [|x a IH]; intros [|y b]; simpl; try discriminate; auto.
  intro H; apply andb_true_iff in H as [H1 H2]. f_equal; auto.
Qed.

Lemma pair_eqb_sound a b : pair_eqb a b = true -> a = b.
Proof.
  destruct a, b; unfold pair_eqb; simpl; intro H; apply andb_true_iff in H as [H1 H2].
  apply Nat.eqb_eq in H1; apply N.eqb_eq in H2; now subst.
Qed.

(* The certificate's list of missing pairs is exactly the set of pairs that miss themselves. *)
Definition missing_check (P : pattern) (listed : list (nat * N)) : bool :=
  list_eqb pair_eqb listed (missing_pairs P).

Theorem missing_check_sound P listed : WellFormed P -> missing_check P listed = true ->
  forall l k, In (l, k) listed <-> (l < p P)%nat /\ k < n P /\ ~ attends P l k k.
Proof.
  intros Hw H. apply (list_eqb_sound _ pair_eqb_sound) in H. subst listed.
  intros l k; split; [apply missing_pairs_sound; auto|intros [H1 [H2 H3]]; apply missing_pairs_complete; auto].
Qed.

Theorem missing_not_self P listed : WellFormed P -> missing_check P listed = true -> listed <> [] ->
  ~ SelfAttention P.
Proof.
  intros Hw H Hne Hs. destruct listed as [|[l k] rest]; [contradiction|].
  destruct (proj1 (missing_check_sound P _ Hw H l k) (or_introl eq_refl)) as [Hl [Hk Ha]].
  exact (Ha (Hs l k Hl Hk)).
Qed.

(* --- Condition 2: a Hamiltonian path -------------------------------------------------- *)

Definition layer_maps (P : pattern) : list (PositiveMap.t iset) := map index (layers P).

(* k attends to i in some pattern. *)
Definition edgeb (ms : list (PositiveMap.t iset)) (k i : N) : bool := existsb (fun m => mem i (lookup m k)) ms.

Lemma edgeb_sound P k i : edgeb (layer_maps P) k i = true -> Edge P k i.
Proof.
  unfold edgeb, layer_maps; rewrite existsb_exists. intros [m [Hm Hi]].
  apply in_map_iff in Hm as [L [<- HL]]. apply (In_nth _ _ []) in HL as [l [Hl E]].
  exists l; split; [exact Hl|]. unfold attends, row. rewrite E, <- lookup_index. exact Hi.
Qed.

(* Each token after the first attends to its predecessor. *)
Fixpoint path_edges (ms : list (PositiveMap.t iset)) (g : list N) : bool :=
  match g with
  | a :: ((b :: _) as g') => edgeb ms b a && path_edges ms g'
  | _ => true
  end.

Lemma path_edges_sound ms g : path_edges ms g = true ->
  forall i, (Datatypes.S i < length g)%nat -> edgeb ms (nth (Datatypes.S i) g 0) (nth i g 0) = true.
Proof.
  induction g as [|a g IH]; intros H i Hi; simpl in *; [lia|].
  destruct g as [|b g]; simpl in *; [lia|].
  apply andb_true_iff in H as [H1 H2]. destruct i as [|i]; auto.
  apply (IH H2 i). simpl; lia.
Qed.

Definition path_check (P : pattern) (g : list N) : bool :=
  (length g =? N.to_nat (n P))%nat && forallb (fun x => x <? n P) g && nodupb g &&
  path_edges (layer_maps P) g.

Theorem path_check_sound P g : path_check P g = true -> HamiltonianPath P g.
Proof.
  unfold path_check; intro H.
  apply andb_true_iff in H as [H He]; apply andb_true_iff in H as [H Hd];
  apply andb_true_iff in H as [Hl Hr].
  repeat split.
  - now apply Nat.eqb_eq.
  - now apply nodupb_sound.
  - intros x Hx. rewrite forallb_forall in Hr. now apply N.ltb_lt, Hr.
  - intros i Hi. apply edgeb_sound. now apply path_edges_sound.
Qed.

(* --- Condition 3: the reachability sets S^t, computed row by row ----------------------- *)

Definition tokens (n : N) : list N := map N.of_nat (seq 0 (N.to_nat n)).

Lemma nth_tokens n k : k < n -> nth (N.to_nat k) (tokens n) 0 = k.
Proof.
  intro H. unfold tokens. rewrite nth_indep with (d' := N.of_nat 0) by (rewrite map_length, seq_length; lia).
  rewrite map_nth, seq_nth by lia. lia.
Qed.

Definition S0_rows (P : pattern) : list iset := map (fun k => [(k, k)]) (tokens (n P)).

(* Row k of S^t from the rows of S^{t-1}: the union of S_j^{t-1} over j in A_k. *)
Definition step (prev : list iset) (L : list iset) : list iset :=
  let m := index prev in map (fun r => big_union (lookup m) r) L.

Definition layer_rows (P : pattern) (t : nat) : list iset := nth (pattern_of_layer P t) (layers P) [].

Fixpoint S_rows (P : pattern) (t : nat) : list iset :=
  match t with
  | O => S0_rows P
  | Datatypes.S t' => step (S_rows P t') (layer_rows P t)
  end.

Lemma S_rows_length P t : WellFormed P -> length (S_rows P t) = N.to_nat (n P).
Proof.
  intro Hw. destruct t as [|t]; simpl.
  - unfold S0_rows, tokens. now rewrite !map_length, seq_length.
  - unfold step. rewrite map_length. apply layer_length; auto.
    apply pattern_of_layer_lt. now destruct Hw.
Qed.

Theorem S_rows_spec P t k j : WellFormed P -> k < n P ->
  mem j (nth (N.to_nat k) (S_rows P t) []) = true <-> Sset P t k j.
Proof.
  intro Hw. pose proof Hw as [Hp [_ [Hr _]]]. revert k j; induction t as [|t IH]; intros k j Hk.
  - simpl. unfold S0_rows. rewrite nth_indep with (d' := (fun k => [(k, k)]) 0)
      by (unfold tokens; rewrite !map_length, seq_length; lia).
    change [(0, 0)] with ((fun k0 : N => [(k0, k0)]) 0).
    rewrite map_nth, nth_tokens by exact Hk.
    rewrite mem_cons, mem_nil, orb_false_r, in_iv_spec; simpl. lia.
  - cbn [S_rows Sset]. unfold step, layer_rows.
    assert (Hl := pattern_of_layer_lt P (Datatypes.S t) Hp).
    rewrite nth_indep with (d' := big_union (lookup (index (S_rows P t))) [])
      by (rewrite map_length, layer_length; auto; lia).
    rewrite map_nth, mem_big_union. fold (row P (pattern_of_layer P (Datatypes.S t)) k).
    split; intros [x [H1 H2]]; exists x; split; auto.
    + unfold attends in H1. rewrite lookup_index in H2. apply IH; auto. eapply Hr; eauto.
    + rewrite lookup_index. apply IH; auto. eapply Hr; eauto.
Qed.

Definition all_full (n : N) (rows : list iset) : bool := forallb (is_full n) rows.
Definition some_misses (n : N) (rows : list iset) : bool := existsb (misses n) rows.

Lemma all_full_complete P t : WellFormed P -> all_full (n P) (S_rows P t) = true -> Complete P t.
Proof.
  intros Hw H k j Hk Hj. apply (S_rows_spec P t k j Hw Hk).
  unfold all_full in H; rewrite forallb_forall in H.
  apply (is_full_sound (n P)); auto. apply H, nth_In. rewrite S_rows_length by auto. lia.
Qed.

Lemma some_misses_incomplete P t : WellFormed P -> some_misses (n P) (S_rows P t) = true -> ~ Complete P t.
Proof.
  intros Hw H Hc. unfold some_misses in H; apply existsb_exists in H as [r [Hin Hm]].
  apply (In_nth _ _ []) in Hin as [k [Hk E]]. rewrite S_rows_length in Hk by auto.
  apply misses_sound in Hm as [j [Hj Hjm]].
  assert (Hk' : N.of_nat k < n P) by lia.
  specialize (Hc _ _ Hk' Hj). apply (S_rows_spec P t _ j Hw Hk') in Hc.
  rewrite Nat2N.id in Hc. subst r. unfold iset in *. congruence.
Qed.

(* Rows of S^t for t .. t+fuel: incomplete before the last, complete at the last. *)
Fixpoint mixing_from (P : pattern) (fuel t : nat) (cur : list iset) : bool :=
  match fuel with
  | O => all_full (n P) cur
  | Datatypes.S f => some_misses (n P) cur && mixing_from P f (Datatypes.S t) (step cur (layer_rows P (Datatypes.S t)))
  end.

Definition mixing_check (P : pattern) (s : nat) : bool :=
  (1 <=? s)%nat && wf_check P && mixing_from P (s - 1) 1 (S_rows P 1).

Lemma mixing_from_sound P : WellFormed P -> forall f t, mixing_from P f t (S_rows P t) = true ->
  Complete P (t + f) /\ forall t', (t <= t')%nat -> (t' < t + f)%nat -> ~ Complete P t'.
Proof.
  intro Hw; induction f as [|f IH]; intros t H; simpl in H.
  - rewrite Nat.add_0_r. split; [now apply all_full_complete|intros; lia].
  - apply andb_true_iff in H as [H1 H2]. apply (IH (Datatypes.S t)) in H2 as [H2 H3]. split.
    + now replace (t + Datatypes.S f)%nat with (Datatypes.S t + f)%nat by lia.
    + intros t' Ht1 Ht2. destruct (Nat.eq_dec t t') as [<-|Hne].
      * now apply some_misses_incomplete.
      * apply H3; lia.
Qed.

Theorem mixing_check_sound P s : mixing_check P s = true -> MixingDepth P s.
Proof.
  unfold mixing_check; intro H. apply andb_true_iff in H as [H H3]; apply andb_true_iff in H as [H1 H2].
  apply Nat.leb_le in H1. apply wf_check_sound in H2.
  apply (mixing_from_sound P H2) in H3 as [H3 H4].
  replace (1 + (s - 1))%nat with s in * by lia.
  split; [exact H1|split; [exact H3|intros t Ht1 Ht2; apply H4; lia]].
Qed.

Theorem mixing_depth_finite P s : MixingDepth P s -> FiniteMixing P.
Proof. intros [H1 [H2 _]]; now exists s. Qed.

(* --- No finite s: the sequence S^t repeats and is never complete ----------------------- *)

(* S^t .. S^{t+fuel-1} all incomplete; returns the rows of S^{t+fuel}. *)
Fixpoint incomplete_from (P : pattern) (fuel t : nat) (cur : list iset) : option (list iset) :=
  match fuel with
  | O => Some cur
  | Datatypes.S f =>
      if some_misses (n P) cur then incomplete_from P f (Datatypes.S t) (step cur (layer_rows P (Datatypes.S t)))
      else None
  end.

Lemma incomplete_from_sound P : WellFormed P -> forall f t r, incomplete_from P f t (S_rows P t) = Some r ->
  r = S_rows P (t + f) /\ forall t', (t <= t')%nat -> (t' < t + f)%nat -> ~ Complete P t'.
Proof.
  intro Hw; induction f as [|f IH]; intros t r H; simpl in H.
  - injection H as <-. rewrite Nat.add_0_r. split; [auto|intros; lia].
  - destruct (some_misses (n P) (S_rows P t)) eqn:E; [|discriminate].
    apply (IH (Datatypes.S t)) in H as [H2 H3]. split.
    + now replace (t + Datatypes.S f)%nat with (Datatypes.S t + f)%nat by lia.
    + intros t' Ht1 Ht2. destruct (Nat.eq_dec t t') as [<-|Hne].
      * now apply some_misses_incomplete.
      * apply H3; lia.
Qed.

Definition iset_eqb (a b : iset) : bool := list_eqb (fun u v => (fst u =? fst v) && (snd u =? snd v)) a b.

Lemma iset_eqb_sound a b : iset_eqb a b = true -> a = b.
Proof.
  apply list_eqb_sound. intros [u1 u2] [v1 v2]; simpl; intro H.
  apply andb_true_iff in H as [H1 H2]; apply N.eqb_eq in H1; apply N.eqb_eq in H2; now subst.
Qed.

Definition cycle_check (P : pattern) (start period : nat) : bool :=
  (1 <=? start)%nat && (1 <=? period)%nat && (Nat.modulo period (p P) =? 0)%nat && wf_check P &&
  match incomplete_from P (start - 1) 1 (S_rows P 1) with
  | None => false
  | Some a =>
      match incomplete_from P period start a with
      | None => false
      | Some b => list_eqb iset_eqb a b
      end
  end.

Lemma pattern_of_layer_period P t period : (1 <= t)%nat -> Nat.modulo period (p P) = O ->
  pattern_of_layer P (t + period) = pattern_of_layer P t.
Proof.
  intros Ht Hm. unfold pattern_of_layer. destruct (p P) as [|q] eqn:Ep.
  - simpl in Hm. subst period. now rewrite Nat.add_0_r.
  - apply Nat.mod_divides in Hm as [c ->]; [|lia].
    replace (t + Datatypes.S q * c - 1)%nat with (t - 1 + c * Datatypes.S q)%nat by lia.
    now rewrite Nat.mod_add by lia.
Qed.

Lemma S_rows_periodic P start period : (1 <= start)%nat -> Nat.modulo period (p P) = O ->
  S_rows P start = S_rows P (start + period) -> forall i, S_rows P (start + i) = S_rows P (start + period + i).
Proof.
  intros Hs Hm E i; induction i as [|i IH].
  - now rewrite !Nat.add_0_r.
  - replace (start + Datatypes.S i)%nat with (Datatypes.S (start + i)) by lia.
    replace (start + period + Datatypes.S i)%nat with (Datatypes.S (start + period + i)) by lia.
    cbn [S_rows]. rewrite IH. unfold layer_rows.
    replace (Datatypes.S (start + period + i)) with (Datatypes.S (start + i) + period)%nat by lia.
    rewrite pattern_of_layer_period by (auto; lia). reflexivity.
Qed.

Theorem cycle_check_sound P start period : cycle_check P start period = true ->
  forall t, (1 <= t)%nat -> ~ Complete P t.
Proof.
  unfold cycle_check; intro H.
  apply andb_true_iff in H as [H H5]; apply andb_true_iff in H as [H Hw];
  apply andb_true_iff in H as [H Hm]; apply andb_true_iff in H as [Hs Hper].
  apply Nat.leb_le in Hs; apply Nat.leb_le in Hper; apply Nat.eqb_eq in Hm; apply wf_check_sound in Hw.
  destruct (incomplete_from P (start - 1) 1 (S_rows P 1)) as [a|] eqn:Ea; [|discriminate].
  apply (incomplete_from_sound P Hw) in Ea as [Ea Hinc1]. replace (1 + (start - 1))%nat with start in * by lia.
  subst a. destruct (incomplete_from P period start (S_rows P start)) as [b|] eqn:Eb; [|discriminate].
  apply (incomplete_from_sound P Hw) in Eb as [Eb Hinc2]. subst b.
  apply (list_eqb_sound _ iset_eqb_sound) in H5.
  assert (Hper' := S_rows_periodic P start period Hs Hm H5).
  (* every t >= start has the rows of some t' in [start, start + period) *)
  assert (G : forall c i, (i < period)%nat -> S_rows P (start + i) = S_rows P (start + c * period + i)).
  { induction c as [|c IHc]; intros i Hi; [now rewrite Nat.mul_0_l, Nat.add_0_r|].
    rewrite (IHc i Hi). replace (start + Datatypes.S c * period + i)%nat with (start + period + (c * period + i))%nat by lia.
    rewrite <- Hper'. f_equal; lia. }
  intros t Ht Hc. destruct (Nat.lt_ge_cases t start) as [Hlt|Hge].
  - apply (Hinc1 t); auto.
  - set (i := Nat.modulo (t - start) period). set (c := Nat.div (t - start) period).
    assert (Et : t = (start + c * period + i)%nat).
    { unfold i, c. pose proof (Nat.div_mod (t - start) period ltac:(lia)). lia. }
    assert (Hi : (i < period)%nat) by (apply Nat.mod_upper_bound; lia).
    apply (Hinc2 (start + i)%nat); [lia|lia|].
    intros k j Hk Hj. apply (S_rows_spec P _ k j Hw Hk). rewrite G with (c := c) by exact Hi.
    rewrite <- Et. apply (S_rows_spec P t k j Hw Hk), Hc; auto.
Qed.

Theorem cycle_not_mixing P start period : cycle_check P start period = true -> ~ FiniteMixing P.
Proof. intros H [s [Hs Hc]]. exact (cycle_check_sound P start period H s Hs Hc). Qed.

(* --- Closure sets ------------------------------------------------------------------- *)

(* Membership in R through a map of its elements: linear in the connections whatever R's shape. *)
Definition closure_check (P : pattern) (k j : N) (R : iset) : bool :=
  let Rs := set_of (elements R) in
  wf_check P && (k <? n P) && (j <? n P) && inm Rs k && negb (inm Rs j) &&
  forall_rows P (fun _ r row => negb (inm Rs r) || forall_set (inm Rs) row).

Lemma row_beyond P l k : WellFormed P -> n P <= k -> row P l k = [].
Proof.
  intros Hw Hk. unfold row. destruct (Nat.lt_ge_cases l (p P)) as [Hl|Hl].
  - apply nth_overflow. rewrite layer_length by auto. lia.
  - rewrite (nth_overflow (layers P)) by exact Hl. now destruct (N.to_nat k).
Qed.

Theorem closure_check_sound P k j R : closure_check P k j R = true ->
  WellFormed P /\ k < n P /\ j < n P /\ Closure P k j (fun x => mem x R = true).
Proof.
  unfold closure_check; intro H.
  apply andb_true_iff in H as [H Hr]; apply andb_true_iff in H as [H Hj];
  apply andb_true_iff in H as [H Hk]; apply andb_true_iff in H as [H Hjn];
  apply andb_true_iff in H as [Hw Hkn].
  apply wf_check_sound in Hw. apply N.ltb_lt in Hkn; apply N.ltb_lt in Hjn.
  assert (HR : forall x, inm (set_of (elements R)) x = true <-> mem x R = true)
    by (intro x; rewrite inm_set_of; apply in_elements).
  split; [exact Hw|split; [exact Hkn|split; [exact Hjn|split; [now apply HR|split]]]].
  - apply negb_true_iff in Hj. intro C. apply HR in C. congruence.
  - intros r l i Hr' Hl Ha. apply HR in Hr'. destruct (N.lt_ge_cases r (n P)) as [Hrn|Hrn].
    + assert (G := forall_rows_sound P _ Hw Hr l r Hl Hrn). simpl in G.
      rewrite Hr' in G. simpl in G. apply HR. exact (forall_set_sound _ _ G i Ha).
    + unfold attends in Ha. rewrite row_beyond in Ha by auto. discriminate.
Qed.

Definition input_token_check (P : pattern) (k : N) : bool := (k <? n P) && negb (inb k (extra P)).

Lemma input_token_check_sound P k : input_token_check P k = true -> InputToken P k.
Proof.
  unfold input_token_check; intro H. apply andb_true_iff in H as [H1 H2].
  split; [now apply N.ltb_lt|]. intro C. apply inb_spec in C. rewrite C in H2. discriminate.
Qed.

(* --- Strong connectivity of the union graph ------------------------------------------ *)

(* R together with every token that a member of R attends to. *)
Definition grow_attended (ms : list (PositiveMap.t iset)) (R : iset) : iset :=
  fold_left (fun acc m => union acc (big_union (lookup m) R)) ms R.

Lemma grow_attended_sound P R x : mem x (grow_attended (layer_maps P) R) = true ->
  mem x R = true \/ exists r, mem r R = true /\ Edge P r x.
Proof.
  unfold grow_attended.
  assert (G : forall ms acc, (forall m, In m ms -> In m (layer_maps P)) ->
            (forall y, mem y acc = true -> mem y R = true \/ exists r, mem r R = true /\ Edge P r y) ->
            mem x (fold_left (fun acc m => union acc (big_union (lookup m) R)) ms acc) = true ->
            mem x R = true \/ exists r, mem r R = true /\ Edge P r x).
  { induction ms as [|m ms IH]; intros acc Hms Hacc H; simpl in H; auto.
    apply (IH (union acc (big_union (lookup m) R)) (fun m' Hm' => Hms m' (or_intror Hm'))); auto.
    intros y Hy. rewrite mem_union, orb_true_iff in Hy. destruct Hy as [Hy|Hy]; auto.
    apply mem_big_union in Hy as [r [Hr Hy]]. right. exists r; split; auto.
    apply edgeb_sound. unfold edgeb. apply existsb_exists. exists m; split; auto. apply Hms; now left. }
  apply G; auto.
Qed.

(* The tokens that attend to a member of R in some pattern (together with R). *)
Definition meets (a b : iset) : bool :=
  existsb (fun u => existsb (fun v =>
    (fst u <=? snd u) && (fst v <=? snd v) && (fst u <=? snd v) && (fst v <=? snd u)) b) a.

Lemma meets_sound a b : meets a b = true -> exists x, mem x a = true /\ mem x b = true.
Proof.
  unfold meets; rewrite existsb_exists; intros [u [Hu H]]. rewrite existsb_exists in H.
  destruct H as [v [Hv H]]. repeat (apply andb_true_iff in H as [H ?]). bool_cmp.
  exists (N.max (fst u) (fst v)). split; apply mem_spec; [exists u|exists v]; split; auto; lia.
Qed.

Definition attending (P : pattern) (R : iset) : iset :=
  fold_left (fun acc L => union acc (singletons (select_idx (fun _ row => meets row R) 0 L))) (layers P) R.

Lemma attending_sound P R x : WellFormed P -> mem x (attending P R) = true ->
  mem x R = true \/ exists y, mem y R = true /\ Edge P x y.
Proof.
  intro Hw. unfold attending.
  assert (G : forall Ls acc, (forall L, In L Ls -> In L (layers P)) ->
            (forall y, mem y acc = true -> mem y R = true \/ exists z, mem z R = true /\ Edge P y z) ->
            mem x (fold_left (fun acc L => union acc (singletons (select_idx (fun _ row => meets row R) 0 L))) Ls acc) = true ->
            mem x R = true \/ exists z, mem z R = true /\ Edge P x z).
  { induction Ls as [|L Ls IH]; intros acc HLs Hacc H; simpl in H; auto.
    apply (IH (union acc (singletons (select_idx (fun _ row => meets row R) 0 L))) (fun L' HL' => HLs L' (or_intror HL'))); auto.
    intros y Hy. rewrite mem_union, orb_true_iff in Hy. destruct Hy as [Hy|Hy]; auto.
    apply mem_singletons in Hy. apply (select_idx_spec _ []) in Hy as [_ [Hy1 Hy2]].
    rewrite N.sub_0_r in *. apply meets_sound in Hy2 as [z [Hz1 Hz2]]. right. exists z; split; auto.
    assert (HL : In L (layers P)) by (apply HLs; now left).
    apply (In_nth _ _ []) in HL as [l [Hl E]]. exists l; split; [exact Hl|].
    unfold attends, row. now rewrite E. }
  apply G; auto.
Qed.

(* Grows R by [grow] until it is full or stops growing; fuel bounds the rounds. *)
Fixpoint saturate (grow : iset -> iset) (n : N) (fuel : nat) (R : iset) : iset :=
  if is_full n R then R else
  match fuel with
  | O => R
  | Datatypes.S f => let R' := grow R in if iset_eqb R' R then R else saturate grow n f R'
  end.

Lemma saturate_sound (Q : N -> Prop) grow n : (forall R, (forall x, mem x R = true -> Q x) -> forall x, mem x (grow R) = true -> Q x) ->
  forall fuel R, (forall x, mem x R = true -> Q x) -> forall x, mem x (saturate grow n fuel R) = true -> Q x.
Proof.
  intros Hg fuel; induction fuel as [|f IH]; intros R HR x H; simpl in H.
  - destruct (is_full n R); auto.
  - destruct (is_full n R); auto. destruct (iset_eqb (grow R) R); auto.
    apply (IH (grow R)); auto. now apply Hg.
Qed.

(* Every member of target reaches root and is reached from it, through chains of attended tokens
   (the chains may pass through any token). *)
Definition connected_check (P : pattern) (root : N) (target : iset) : bool :=
  wf_check P && (root <? n P) &&
  subset target (saturate (grow_attended (layer_maps P)) (n P) (N.to_nat (n P)) [(root, root)]) &&
  subset target (saturate (attending P) (n P) (N.to_nat (n P)) [(root, root)]).

Lemma connected_sound P root target : connected_check P root target = true ->
  WellFormed P /\ forall k j, mem k target = true -> mem j target = true -> clos_refl_trans N (Edge P) k j.
Proof.
  unfold connected_check; intro H.
  apply andb_true_iff in H as [H Hf]; apply andb_true_iff in H as [H Hb]; apply andb_true_iff in H as [Hw _].
  apply wf_check_sound in Hw. split; auto.
  assert (Hsing : forall x, mem x [(root, root)] = true -> x = root).
  { intros x Hx. rewrite mem_cons, mem_nil, orb_false_r, in_iv_spec in Hx; simpl in Hx; lia. }
  (* root attends to them, transitively *)
  assert (B : forall x, mem x target = true -> clos_refl_trans N (Edge P) root x).
  { intros x Hx. apply (subset_sound _ _ Hb) in Hx. revert x Hx.
    apply (saturate_sound _ (grow_attended (layer_maps P)) (n P)).
    - intros R HR x Hx. apply grow_attended_sound in Hx as [Hx|[r [Hr He]]]; auto.
      eapply rt_trans; [apply HR, Hr|now apply rt_step].
    - intros x Hx. rewrite (Hsing x Hx). apply rt_refl. }
  (* they attend to root, transitively *)
  assert (F : forall x, mem x target = true -> clos_refl_trans N (Edge P) x root).
  { intros x Hx. apply (subset_sound _ _ Hf) in Hx. revert x Hx.
    apply (saturate_sound _ (attending P) (n P)).
    - intros R HR x Hx. apply (attending_sound P R x Hw) in Hx as [Hx|[y [Hy He]]]; auto.
      apply rt_trans with y; [now apply rt_step|apply HR, Hy].
    - intros x Hx. rewrite (Hsing x Hx). apply rt_refl. }
  intros k j Hk Hj. eapply rt_trans; [apply F, Hk|apply B, Hj].
Qed.

(* The input tokens as a set: 0..n-1 without the extra tokens. *)
Definition input_set (P : pattern) : iset := fold_left (fun s x => remove x s) (extra P) [(0, n P - 1)].

Lemma mem_input_set P x : 0 < n P -> mem x (input_set P) = true <-> InputToken P x.
Proof.
  intro Hn. unfold input_set, InputToken.
  assert (G : forall l s, mem x (fold_left (fun s x => remove x s) l s) = true <-> mem x s = true /\ ~ In x l).
  { induction l as [|y l IH]; intro s0; simpl; [tauto|]. rewrite IH, mem_remove. intuition. }
  rewrite G, mem_cons, mem_nil, orb_false_r, in_iv_spec; simpl. split; intros [H1 H2]; split; auto; lia.
Qed.

Definition all_set (P : pattern) : iset := [(0, n P - 1)].

Lemma mem_all_set P x : 0 < n P -> mem x (all_set P) = true <-> x < n P.
Proof. intro Hn. unfold all_set. rewrite mem_cons, mem_nil, orb_false_r, in_iv_spec; simpl. lia. Qed.

(* Every input token influences every input token: every input token reaches root and back. *)
Definition influence_check (P : pattern) (root : N) : bool :=
  (0 <? n P) && connected_check P root (input_set P).

Theorem influence_check_sound P root : influence_check P root = true -> Influence P.
Proof.
  unfold influence_check; intro H. apply andb_true_iff in H as [Hn H]. apply N.ltb_lt in Hn.
  apply connected_sound in H as [Hw Hc]. intros k j Hk Hj.
  apply chain_influence; [now destruct Hw|]. apply Hc; now apply mem_input_set.
Qed.

(* A finite s from self-attention and a strongly connected union graph (over all tokens). *)
Definition strongly_connected_check (P : pattern) : bool :=
  (0 <? n P) && connected_check P 0 (all_set P).

Theorem strongly_connected_mixing P : strongly_connected_check P = true -> self_check P = true -> FiniteMixing P.
Proof.
  unfold strongly_connected_check; intros H Hs. apply andb_true_iff in H as [Hn H]. apply N.ltb_lt in Hn.
  apply connected_sound in H as [Hw Hc]. apply self_influence_mixing; auto.
  - now apply self_check_sound.
  - intros k j Hk Hj. apply chain_influence; [now destruct Hw|]. apply Hc; now apply mem_all_set.
Qed.

Theorem mixing_influence P s : WellFormed P -> MixingDepth P s -> Influence P.
Proof.
  intros Hw [_ [Hc _]] k j [Hk _] [Hj _]. exists s. apply Sset_Iset, Hc; auto.
Qed.

(* --- BigBird's star with an extra hub ------------------------------------------------- *)

Definition star_check (P : pattern) (h : N) : bool :=
  wf_check P && list_eqb N.eqb (extra P) [h] && (h <? n P) &&
  forallb (fun L => let rh := nth (N.to_nat h) L [] in
                    forall_idx (fun i r => inb i (extra P) || (mem i r && mem h r && mem i rh)) 0 L)
          (layers P).

Theorem star_check_sound P h : star_check P h = true -> StarExtraHub P h.
Proof.
  unfold star_check; intro H.
  apply andb_true_iff in H as [H Hall]; apply andb_true_iff in H as [H Hh];
  apply andb_true_iff in H as [Hw Hin]. apply wf_check_sound in Hw.
  apply (list_eqb_sound _ (fun x y E => proj1 (N.eqb_eq x y) E)) in Hin.
  apply N.ltb_lt in Hh. rewrite forallb_forall in Hall.
  split; [exact Hin|split; [exact Hh|]]. intros l Hl.
  assert (HL0 := Hall (nth l (layers P) []) (nth_In _ _ Hl)).
  pose proof (proj1 (forall_idx0 _ [] _) HL0) as HL.
  assert (G : forall i, InputToken P i -> mem i (row P l i) && mem h (row P l i) && mem i (row P l h) = true).
  { intros i [Hi Hni]. specialize (HL i). rewrite layer_length in HL by auto.
    specialize (HL ltac:(lia)). destruct (inb i (extra P)) eqn:E.
    - apply inb_spec in E. contradiction.
    - exact HL. }
  split; intros i Hi; specialize (G i Hi); repeat (apply andb_true_iff in G as [G ?]); unfold attends; auto.
Qed.

(* A pair (pattern l, input token i) that breaks the star at h: i misses itself or the hub, or the
   hub misses i. *)
Definition star_violation (P : pattern) (h : N) (l : nat) (i : N) : bool :=
  (l <? p P)%nat && (i <? n P) && negb (inb i (extra P)) &&
  negb (mem i (row P l i) && mem h (row P l i) && mem i (row P l h)).

Lemma star_violation_sound P h l i : star_violation P h l i = true -> ~ StarExtraHub P h.
Proof.
  unfold star_violation; intros H [_ [_ Hs]].
  apply andb_true_iff in H as [H Hv]; apply andb_true_iff in H as [H Hx];
  apply andb_true_iff in H as [Hl Hi]. apply Nat.ltb_lt in Hl; apply N.ltb_lt in Hi.
  apply negb_true_iff in Hx. destruct (Hs l Hl) as [H1 H2].
  assert (Hin : InputToken P i) by (split; [exact Hi|intro C; apply inb_spec in C; congruence]).
  destruct (H1 i Hin) as [A1 A2]. specialize (H2 i Hin). unfold attends in *.
  rewrite A1, A2, H2 in Hv. discriminate.
Qed.

(* The first violation, searched pattern by pattern (a witness: it is checked by star_violation). *)
Definition find_star_violation (P : pattern) (h : N) : option (nat * N) :=
  (fix go (l : nat) (Ls : list (list iset)) : option (nat * N) :=
     match Ls with
     | [] => None
     | L :: Ls' =>
         let rh := nth (N.to_nat h) L [] in
         match select_idx (fun i r => negb (inb i (extra P) || (mem i r && mem h r && mem i rh))) 0 L with
         | i :: _ => Some (l, i)
         | [] => go (Datatypes.S l) Ls'
         end
     end) O (layers P).

(* No star: there is not exactly one extra token, or the one is not a hub. *)
Definition no_star_check (P : pattern) : bool :=
  match extra P with
  | [h] => match find_star_violation P h with
           | Some (l, i) => star_violation P h l i
           | None => false
           end
  | _ => true
  end.

Theorem no_star_check_sound P : no_star_check P = true -> ~ BigBirdStar P.
Proof.
  unfold no_star_check; intros H [h Hh]. pose proof Hh as [E _]. rewrite E in H.
  destruct (find_star_violation P h) as [[l i]|]; [|discriminate].
  exact (star_violation_sound P h l i H Hh).
Qed.

(* --- One graph for every layer ---------------------------------------------------------- *)

Definition one_graph_check (P : pattern) : bool :=
  forallb (fun L => list_eqb iset_eqb L (nth 0 (layers P) [])) (layers P).

Theorem one_graph_check_sound P : one_graph_check P = true -> OneGraph P.
Proof.
  unfold one_graph_check; rewrite forallb_forall; intros H l k j Hl.
  specialize (H _ (nth_In _ [] Hl)). apply (list_eqb_sound _ iset_eqb_sound) in H.
  unfold attends, row. rewrite H. reflexivity.
Qed.

(* A token in row k of pattern l but not of pattern 0, or the other way round. *)
Definition row_difference (a b : iset) : option N :=
  match filter (fun x => negb (mem x b)) (elements a) with
  | x :: _ => Some x
  | [] => match filter (fun x => negb (mem x a)) (elements b) with x :: _ => Some x | [] => None end
  end.

Definition find_graph_difference (P : pattern) : option (nat * N * N) :=
  let L0 := nth 0 (layers P) [] in
  (fix go (l : nat) (Ls : list (list iset)) : option (nat * N * N) :=
     match Ls with
     | [] => None
     | L :: Ls' =>
         (fix rows (k : N) (R R0 : list iset) : option (nat * N * N) :=
            match R, R0 with
            | r :: R', r0 :: R0' =>
                match row_difference r r0 with Some j => Some (l, k, j) | None => rows (k + 1) R' R0' end
            | _, _ => go (Datatypes.S l) Ls'
            end) 0 L L0
     end) O (layers P).

Definition not_one_graph_check (P : pattern) : bool :=
  match find_graph_difference P with
  | Some (l, k, j) => (l <? p P)%nat && negb (Bool.eqb (mem j (row P l k)) (mem j (row P 0 k)))
  | None => false
  end.

Theorem not_one_graph_check_sound P : not_one_graph_check P = true -> ~ OneGraph P.
Proof.
  unfold not_one_graph_check; intros H Ho.
  destruct (find_graph_difference P) as [[[l k] j]|]; [|discriminate].
  apply andb_true_iff in H as [Hl Hd]. apply Nat.ltb_lt in Hl.
  specialize (Ho l k j Hl). unfold attends in Ho.
  destruct (mem j (row P l k)), (mem j (row P 0 k)); simpl in Hd; try discriminate.
  - exact (Bool.diff_false_true (proj1 Ho eq_refl)).
  - exact (Bool.diff_false_true (proj2 Ho eq_refl)).
Qed.
